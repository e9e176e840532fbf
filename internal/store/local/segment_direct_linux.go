package local

import "syscall"

// oDirect is O_DIRECT where the platform has it.
const oDirect = syscall.O_DIRECT
