package connections

// PublicOnly is the production media dialer's address check (see publicOnly).
var PublicOnly = publicOnly
