package enforce

import (
	"fmt"
	"syscall"

	"github.com/mdlayher/netlink"
)

// sizeSocket sizes the netlink socket for the batch before it is sent.
// The whole batch goes out in one sendmsg, which the kernel refuses if it
// is larger than the send buffer, and every message is acknowledged after
// the commit: if the acknowledgements overflow the receive buffer the
// kernel drops them and the send reports ENOBUFS for a batch that was in
// fact applied. Both defaults (~200 KB) are far too small for 1,000 rules
// and 10,000 elements, so the buffers are forced (CAP_NET_ADMIN, which
// programming nftables needs anyway) to what this batch needs. Buffers are
// limits, not allocations: a large value costs nothing until used.
func (b *batch) sizeSocket(c *netlink.Conn) error {
	const msgBytes, elemBytes, ackBytes, slack = 1024, 48, 2048, 256 << 10
	snd := b.msgs*msgBytes + b.elements*elemBytes + slack
	rcv := b.msgs*ackBytes + slack
	raw, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("size netlink socket: %w", err)
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		serr = setBuf(int(fd), syscall.SO_SNDBUFFORCE, syscall.SO_SNDBUF, snd)
		if serr == nil {
			serr = setBuf(int(fd), syscall.SO_RCVBUFFORCE, syscall.SO_RCVBUF, rcv)
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("size netlink socket (send %d, receive %d bytes): %w", snd, rcv, err)
	}
	return nil
}

// setBuf sets a socket buffer, beyond the sysctl limit when allowed.
func setBuf(fd, force, plain, n int) error {
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, force, n); err == nil {
		return nil
	}
	return syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, plain, n)
}
