package fingerprint

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/droverhq/drover/structs"
)

// DefaultMBits is the bandwidth advertised for a host network.
const DefaultMBits = 1000

// Network sets unique.network.ip-address and the node's host network from
// the configured interface, else the default route's, else loopback.
func Network(e *Env, n *structs.Node) error {
	iface := e.NetworkInterface
	if iface == "" {
		iface = defaultRouteInterface(e)
	}
	ip, dev, err := interfaceIPv4(iface)
	if err != nil {
		return err
	}
	n.Attributes["unique.network.ip-address"] = ip
	n.NodeResources.Networks = []*structs.NetworkResource{{
		Mode: "host", Device: dev, IP: ip, CIDR: ip + "/32", MBits: DefaultMBits,
	}}
	return nil
}

// defaultRouteInterface reads /proc/net/route for the 0.0.0.0 destination.
func defaultRouteInterface(e *Env) string {
	f, err := os.Open(e.proc("net/route"))
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) > 2 && fields[1] == "00000000" {
			return fields[0]
		}
	}
	return ""
}

// interfaceIPv4 returns the first IPv4 of name; name "" or "lo" falls back
// to the loopback address, which is what a dev agent advertises.
func interfaceIPv4(name string) (ip, dev string, err error) {
	if name == "" {
		return "127.0.0.1", "lo", nil
	}
	if ip := net.ParseIP(name); ip != nil {
		// An address instead of a device name: advertise it as given.
		return ip.String(), deviceOf(ip), nil
	}
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return "", "", fmt.Errorf("network_interface %q: %w", name, err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return "", "", fmt.Errorf("network_interface %q: %w", name, err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
			return ipn.IP.String(), name, nil
		}
	}
	return "", "", fmt.Errorf("network_interface %q has no IPv4 address; set client network_interface", name)
}

// deviceOf names the interface holding ip, or "" if none does.
func deviceOf(ip net.IP) string {
	ifcs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, ifc := range ifcs {
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.Equal(ip) {
				return ifc.Name
			}
		}
	}
	return ""
}
