package bench

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// startEcho starts lib's echo server and client, and closes both when tb
// ends.
func startEcho(tb testing.TB, lib Library) EchoClient {
	tb.Helper()
	if lib.StartEcho == nil {
		tb.Skipf("%s: no echo harness", lib.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := lib.StartEcho(ctx)
	if err != nil {
		tb.Fatalf("%s: start echo: %v", lib.Name, err)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Errorf("%s: close: %v", lib.Name, err)
		}
	})
	return c
}

// TestEchoParity checks that every library's client and server exchange
// each benchmark size intact, several times over one connection.
func TestEchoParity(t *testing.T) {
	for _, lib := range Libraries() {
		t.Run(lib.Name, func(t *testing.T) {
			checkEcho(t, startEcho(t, lib))
		})
	}
	t.Run("duplex-cancelable-context", func(t *testing.T) {
		checkEcho(t, startEcho(t, Library{Name: "duplex", StartEcho: DuplexCancelableEcho}))
	})
}

// checkEcho echoes messages of several sizes on c and compares the bytes.
func checkEcho(t *testing.T, c EchoClient) {
	t.Helper()
	for _, size := range append([]int{0, 1, 125, 126, 65535, 65536}, Sizes...) {
		msg := Payload(size)
		got, err := c.Echo(3, [][]byte{msg})
		if err != nil {
			t.Fatalf("%s: echo %d bytes: %v", SizeName(size), size, err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("%s: echo of %d bytes differs (got %d bytes)", SizeName(size), size, len(got))
		}
	}
}

// BenchmarkEcho measures round trips over loopback TCP; see the package
// documentation for the method.
func BenchmarkEcho(b *testing.B) {
	for _, lib := range Libraries() {
		b.Run(lib.Name, func(b *testing.B) {
			for _, size := range Sizes {
				b.Run(SizeName(size), func(b *testing.B) {
					benchmarkEcho(b, startEcho(b, lib), size)
				})
			}
		})
	}
}

// BenchmarkEchoCancelableContext is BenchmarkEcho for Duplex alone, with
// cancelable contexts passed to Read and Write on both sides (the server
// uses the request's context), as most applications do.
func BenchmarkEchoCancelableContext(b *testing.B) {
	lib := Library{Name: "duplex", StartEcho: DuplexCancelableEcho}
	b.Run(lib.Name, func(b *testing.B) {
		for _, size := range Sizes {
			b.Run(SizeName(size), func(b *testing.B) {
				benchmarkEcho(b, startEcho(b, lib), size)
			})
		}
	})
}

// benchmarkEcho runs b.N round trips of a size-byte message on c.
func benchmarkEcho(b *testing.B, c EchoClient, size int) {
	msgs := [][]byte{Payload(size)}
	// Warm up buffers and pools on both sides.
	if _, err := c.Echo(10, msgs); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := c.Echo(b.N, msgs); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
}
