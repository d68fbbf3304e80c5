package jobs

// DequeueOrders exposes dequeueOrders to the tests.
var DequeueOrders = dequeueOrders

// QueuePreference exposes queuePreference to the tests.
var QueuePreference = queuePreference
