package rpc

// FirstSocket exposes firstSocket to the tests of package rpc_test.
var FirstSocket = firstSocket
