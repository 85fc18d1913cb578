package interop_test

// TestChatInChromium runs the chat of `duplex serve` end to end in headless
// Chromium: two pages with two nicknames chat; the server is stopped with
// SIGTERM and started again on the same port, and both pages reconnect on
// their own and chat again. peers/chat_driver.js drives the pages through
// playwright-core as a person would: typing and pressing Enter.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

const (
	// chatDriverTimeout is how long the driver process may live; it
	// bounds the whole browser part of the test.
	chatDriverTimeout = 90 * time.Second

	// chatStepTimeout bounds one driver command; a wait command gives
	// up a little earlier, so that it can still say what the page shows.
	chatStepTimeout = 30 * time.Second
	chatWaitTimeout = chatStepTimeout - 5*time.Second

	// chatWelcome is what duplex serve says to every new connection.
	chatWelcome = "Welcome to the chat room."
)

// chatView is what a page shows, as the driver reports it.
type chatView struct {
	State     string   `json:"state"`
	StateText string   `json:"stateText"`
	Messages  []string `json:"messages"`
	Opens     int      `json:"opens"`
	Closes    []struct {
		Code     int    `json:"code"`
		Reason   string `json:"reason"`
		WasClean bool   `json:"wasClean"`
	} `json:"closes"`
	URLs []string `json:"urls"`
}

// chatDriverReply is the driver's answer to one command.
type chatDriverReply struct {
	ID     int       `json:"id"`
	OK     bool      `json:"ok"`
	Error  string    `json:"error"`
	Result *chatView `json:"result"`
}

// A chatDriver is the running peers/chat_driver.js.
type chatDriver struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stderr  syncBuffer
	replies chan chatDriverReply
	exited  chan struct{}
	lastID  int
}

func startChatDriver(t *testing.T, node string) *chatDriver {
	t.Helper()
	d := &chatDriver{
		cmd:     exec.Command(node, "peers/chat_driver.js", fmt.Sprint(chatDriverTimeout.Milliseconds())),
		replies: make(chan chatDriverReply, 16),
		exited:  make(chan struct{}),
	}
	var stdout io.Reader
	d.stdin, stdout = startPiped(t, d.cmd, &d.stderr)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var r chatDriverReply
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				fmt.Fprintf(&d.stderr, "[stdout] %s\n", sc.Bytes())
				continue
			}
			d.replies <- r
		}
		d.cmd.Wait()
		close(d.exited)
	}()
	// Closing stdin makes the driver close the browser and exit.
	t.Cleanup(func() {
		d.stdin.Close()
		select {
		case <-d.exited:
		case <-time.After(15 * time.Second):
			d.cmd.Process.Kill()
			<-d.exited
		}
		if t.Failed() {
			t.Logf("chat driver stderr:\n%s", d.stderr.String())
		}
	})
	return d
}

// do runs one driver command and returns the page's view after it.
func (d *chatDriver) do(t *testing.T, cmd map[string]any) *chatView {
	t.Helper()
	d.lastID++
	cmd["id"] = d.lastID
	b, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.stdin.Write(append(b, '\n')); err != nil {
		t.Fatalf("sending %s to the chat driver: %v", b, err)
	}
	select {
	case r := <-d.replies:
		if r.ID != d.lastID {
			t.Fatalf("chat driver answered command %d, want %d", r.ID, d.lastID)
		}
		if !r.OK || r.Result == nil {
			t.Fatalf("chat driver: %s: %s", b, r.Error)
		}
		return r.Result
	case <-d.exited:
		t.Fatalf("chat driver exited during %s; stderr:\n%s", b, d.stderr.String())
	case <-time.After(chatStepTimeout):
		t.Fatalf("chat driver did not answer %s within %v; stderr:\n%s", b, chatStepTimeout, d.stderr.String())
	}
	panic("unreachable")
}

// wait waits until page has opened its WebSocket opens times, closed it
// closes times, and shows messages.
func (d *chatDriver) wait(t *testing.T, page string, opens, closes int, messages ...string) *chatView {
	t.Helper()
	return d.do(t, map[string]any{
		"cmd": "wait", "page": page, "opens": opens, "closes": closes,
		"messages": messages, "timeout": chatWaitTimeout.Milliseconds(),
	})
}

func TestChatInChromium(t *testing.T) {
	node := chromiumRequire(t)
	exe := buildDuplexBinary(t)
	srv := startDuplexServe(t, exe, "127.0.0.1:0")
	url := "http://" + srv.addr + "/"
	d := startChatDriver(t, node)

	pages := []struct{ page, nick string }{{"alice", "alice"}, {"bob", "bob \u2713"}}
	for _, p := range pages {
		d.do(t, map[string]any{"cmd": "open", "page": p.page, "url": url})
		d.do(t, map[string]any{"cmd": "nick", "page": p.page, "nick": p.nick})
	}
	for _, p := range pages {
		d.wait(t, p.page, 1, 0, chatWelcome)
	}
	// Each says something; both see the welcome and both messages.
	var said []string
	for _, p := range pages {
		text := "hello from " + p.nick
		d.do(t, map[string]any{"cmd": "say", "page": p.page, "text": text})
		said = append(said, p.nick+": "+text)
	}
	for _, p := range pages {
		d.wait(t, p.page, 1, 0, append([]string{chatWelcome}, said...)...)
	}

	// Stop the server: both pages see 1001 (going away) and try again;
	// start it on the same port: both reconnect and get a new welcome.
	srv.stop(t)
	for _, p := range pages {
		v := d.wait(t, p.page, 1, 1)
		if c := v.Closes[0]; c.Code != 1001 || !c.WasClean {
			t.Errorf("%s: the page's WebSocket closed with %+v, want a clean 1001", p.page, c)
		}
	}
	srv = startDuplexServe(t, exe, srv.addr)
	for _, p := range pages {
		d.wait(t, p.page, 2, 1, chatWelcome, chatWelcome)
	}
	var again []string
	for _, p := range pages {
		text := p.nick + " is back"
		d.do(t, map[string]any{"cmd": "say", "page": p.page, "text": text})
		again = append(again, p.nick+": "+text)
	}
	want := append(append(append([]string{chatWelcome}, said...), chatWelcome), again...)
	var views []*chatView
	for _, p := range pages {
		views = append(views, d.wait(t, p.page, 2, 1, want...))
	}

	screenshot := filepath.Join(t.TempDir(), "chat.png")
	d.do(t, map[string]any{"cmd": "screenshot", "page": "alice", "path": screenshot})
	if png, err := os.ReadFile(screenshot); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("screenshot %s: not a PNG (err %v)", screenshot, err)
	} else {
		t.Logf("screenshot: %s (%d bytes)", screenshot, len(png))
	}

	wsURL := "ws://" + srv.addr + "/"
	for i, v := range views {
		p := pages[i].page
		// The server relays in one order to everyone, and nothing else
		// was said, so both pages show exactly the same list.
		if !slices.Equal(v.Messages, want) && !slices.Equal(v.Messages, views[0].Messages) {
			t.Errorf("%s shows %q, want %q", p, v.Messages, want)
		}
		if v.State != "open" {
			t.Errorf("%s: state %q, want open", p, v.State)
		}
		for _, u := range v.URLs {
			if u != wsURL {
				t.Errorf("%s connected to %s, want %s", p, u, wsURL)
			}
		}
	}
	if !slices.Equal(views[0].Messages, views[1].Messages) {
		t.Errorf("the pages disagree:\n alice %q\n bob   %q", views[0].Messages, views[1].Messages)
	}
}
