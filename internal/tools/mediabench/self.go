package main

import (
	"os"
	"runtime"
	"time"
)

// selfCPU is the CPU this process (the simulator) has used.
func selfCPU() (time.Duration, error) { return cpuTime(os.Getpid()) }

func runtimeNumCPU() int { return runtime.NumCPU() }
