package logmon

import "time"

func sleepBriefly() { time.Sleep(10 * time.Millisecond) }
