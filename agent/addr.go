package agent

import (
	"net"
	"strconv"
)

// advertiseAddr is the "host:port" others should use to reach a port: the
// advertise setting (a host, or host:port), else bind_addr, else (when
// bound to all addresses) this machine's first private IPv4 address.
func advertiseAddr(advertise, bind string, port int) string {
	if advertise != "" {
		if _, _, err := net.SplitHostPort(advertise); err == nil {
			return advertise
		}
		return net.JoinHostPort(advertise, strconv.Itoa(port))
	}
	host := bind
	if ip := net.ParseIP(bind); ip == nil || ip.IsUnspecified() {
		host = privateIP()
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// privateIP is the first private IPv4 address of this machine, else the
// first non-loopback one, else 127.0.0.1.
func privateIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "127.0.0.1"
	}
	var fallback string
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.To4() == nil || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		if ipn.IP.IsPrivate() {
			return ipn.IP.String()
		}
		if fallback == "" {
			fallback = ipn.IP.String()
		}
	}
	if fallback != "" {
		return fallback
	}
	return "127.0.0.1"
}
