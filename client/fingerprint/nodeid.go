package fingerprint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/droverhq/drover/structs"
)

// Files holding the node's identity in the data dir.
const (
	NodeIDFile   = "client-id"
	SecretIDFile = "secret-id"
)

// NodeIdentity returns the node ID and secret persisted in dataDir, creating
// them on first start, so a restarted client is the same node to the servers.
func NodeIdentity(dataDir string) (id, secret string, err error) {
	if id, err = loadOrCreate(filepath.Join(dataDir, NodeIDFile)); err != nil {
		return "", "", err
	}
	if secret, err = loadOrCreate(filepath.Join(dataDir, SecretIDFile)); err != nil {
		return "", "", err
	}
	return id, secret, nil
}

func loadOrCreate(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if v := strings.TrimSpace(string(b)); v != "" {
			return v, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create data dir: %w", err)
	}
	v := structs.GenerateUUID()
	// Write then rename, so a crash never leaves an empty ID file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(v), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return v, nil
}
