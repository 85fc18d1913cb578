package main

import (
	"testing"

	"github.com/duplexrt/duplex/bench/internal/testeetest"
)

func TestContract(t *testing.T) {
	testeetest.Check(t, upgradeHandler(echoUpgrader), upgradeHandler(newBroadcastUpgrader()))
}
