module github.com/duplexrt/duplex

go 1.25

require github.com/klauspost/compress v1.20.3
