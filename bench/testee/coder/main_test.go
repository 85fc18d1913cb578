package main

import (
	"net/http"
	"testing"

	"github.com/duplexrt/duplex/bench/internal/testeetest"
)

func TestContract(t *testing.T) {
	testeetest.Check(t, http.HandlerFunc(echo), &broadcast{})
}
