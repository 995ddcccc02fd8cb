package main

// The container image (build/Dockerfile) is FROM scratch, which has no
// /usr/share/zoneinfo: the binary carries the time zone database itself
// (about 450 kB), so time.LoadLocation works the same everywhere.
import _ "time/tzdata"
