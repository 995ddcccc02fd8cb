package vnet_test

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx"
	"pbxlab/pbx/pbxtest/vnet"
	"pbxlab/sim/phone"
)

// TestRawUA: a bare socket on the network (what a raw test UA uses) sends
// OPTIONS to the PBX and reads the 200 back; a read deadline is virtual.
func TestRawUA(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := vnet.Start(t, nil)
		pc := h.Listen("")
		local := pc.LocalAddr().(*net.UDPAddr)
		req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: h.Addr.Addr().String(), Port: int(h.Addr.Port())})
		via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: local.IP.String(), Port: local.Port, Params: sip.NewParams()}
		via.Params.Add("branch", sip.GenerateBranch())
		req.AppendHeader(via)
		from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "probe", Host: local.IP.String()}, Params: sip.NewParams()}
		from.Params.Add("tag", "raw1")
		req.AppendHeader(from)
		req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", Host: h.Addr.Addr().String()}})
		cid := sip.CallIDHeader("raw-ua-1")
		req.AppendHeader(&cid)
		req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.OPTIONS})
		mf := sip.MaxForwardsHeader(70)
		req.AppendHeader(&mf)
		req.SetBody(nil)
		if _, err := pc.WriteTo([]byte(req.String()), net.UDPAddrFromAddrPort(h.Addr)); err != nil {
			t.Fatal(err)
		}
		_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 65535)
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := sip.ParseMessage(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		res, ok := msg.(*sip.Response)
		if !ok || res.StatusCode != 200 {
			t.Fatalf("OPTIONS answered %q", buf[:n])
		}
		// Nothing else comes: the read times out after 5 s of virtual time.
		start := time.Now()
		_ = pc.SetReadDeadline(start.Add(5 * time.Second))
		if _, _, err := pc.ReadFrom(buf); err == nil || time.Since(start) != 5*time.Second {
			t.Fatalf("second read: %v after %v", err, time.Since(start))
		}
	})
}

// TestManyPhonesOneAgent: 100 phones on one signalling-only Agent register
// and make 50 simultaneous calls that ring 10 s and talk 60 s; every call
// gets an ANSWERED CDR. A small-scale preview of a virtual-time population.
func TestManyPhonesOneAgent(t *testing.T) {
	const pairs = 50
	wall := time.Now()
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		h := vnet.Start(t, nil)
		ag := h.NewAgent(phone.Config{})
		phones := make([]*phone.Phone, 2*pairs)
		for i := range phones {
			n := fmt.Sprint(1000 + i)
			p, err := ag.NewPhone(phone.PhoneConfig{Number: n, Password: h.Password(n),
				Answer: phone.AnswerMode{Behaviour: phone.Answer, Delay: 10 * time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Register(ctx); err != nil {
				t.Fatal(err)
			}
			phones[i] = p
		}
		start := time.Now()
		var wg sync.WaitGroup
		for i := range pairs {
			wg.Go(func() {
				c, err := phones[i].Dial(ctx, phones[pairs+i].Number())
				if err != nil {
					t.Error(err)
					return
				}
				if err := c.WaitAnswer(ctx); err != nil {
					t.Errorf("call %d: %v", i, err)
					return
				}
				time.Sleep(60 * time.Second)
				if err := c.Hangup(ctx); err != nil {
					t.Errorf("hangup %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if took := time.Since(start); took != 70*time.Second {
			t.Errorf("calls took %v of virtual time, want 70s (10s ringing + 60s talk)", took)
		}
		synctest.Wait()
		recs, err := h.PBX.ListCDRs(ctx, pbx.CDRFilter{})
		if err != nil {
			t.Fatal(err)
		}
		answered := 0
		for _, r := range recs {
			if r.Disposition == pbx.Answered {
				answered++
			}
		}
		if answered != pairs || len(recs) != pairs {
			t.Fatalf("%d CDRs, %d ANSWERED; want %d ANSWERED", len(recs), answered, pairs)
		}
		if s := h.Net.Stats(); s.QueueFull != 0 || s.NoListener != 0 {
			t.Errorf("network lost packets: %+v", s)
		}
	})
	t.Logf("%d phones, %d calls of 70 s each: %v of wall time", 2*pairs, pairs, time.Since(wall).Round(time.Millisecond))
}
