package structs

import (
	"encoding/binary"
	"hash"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// UniqueNamespacePrefix marks node attributes and meta keys that differ on
// every node (hostnames, IPs, IDs); they are left out of the computed class.
const UniqueNamespacePrefix = "unique."

// ComputeClass hashes the node's scheduling-relevant fields (datacenter,
// node class, node pool, attributes and meta except "unique." keys, drivers
// and host volumes), stores the result in ComputedClass and returns it.
// Nodes with equal classes are equally feasible for any job that does not
// constrain on a unique field, so the scheduler can cache per class.
func (n *Node) ComputeClass() string {
	h := fnv.New64a()
	writeHashString(h, n.Datacenter)
	writeHashString(h, n.NodeClass)
	writeHashString(h, n.NodePool)
	writeHashMap(h, n.Attributes)
	writeHashMap(h, n.Meta)
	writeHashString(h, "drivers")
	for _, name := range classKeys(n.Drivers) {
		d := n.Drivers[name]
		writeHashString(h, name)
		if d == nil {
			writeHashString(h, "")
			continue
		}
		writeHashString(h, strconv.FormatBool(d.Detected)+strconv.FormatBool(d.Healthy))
		writeHashMap(h, d.Attributes)
	}
	writeHashString(h, "host_volumes")
	for _, name := range classKeys(n.HostVolumes) {
		writeHashString(h, name)
		if v := n.HostVolumes[name]; v != nil {
			writeHashString(h, strconv.FormatBool(v.ReadOnly))
		}
	}
	n.ComputedClass = "v1:" + strconv.FormatUint(h.Sum64(), 10)
	return n.ComputedClass
}

// writeHashString writes s with its length, so that field boundaries are
// part of the hash ("ab","c" differs from "a","bc").
func writeHashString(h hash.Hash64, s string) {
	var l [8]byte
	binary.LittleEndian.PutUint64(l[:], uint64(len(s)))
	h.Write(l[:])
	h.Write([]byte(s))
}

// writeHashMap writes m's entries in key order, leaving out unique keys.
func writeHashMap(h hash.Hash64, m map[string]string) {
	keys := classKeys(m)
	keys = slices.DeleteFunc(keys, func(k string) bool { return strings.HasPrefix(k, UniqueNamespacePrefix) })
	writeHashString(h, strconv.Itoa(len(keys)))
	for _, k := range keys {
		writeHashString(h, k)
		writeHashString(h, m[k])
	}
}

func classKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
