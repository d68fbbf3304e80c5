package sdk

// The protocol's Go code is generated from proto/channel.proto with protoc and the
// protoc-gen-go / protoc-gen-go-grpc versions pinned as tools in go.mod. Run
// `make generate` (or `go generate ./plugins/sdk`) after editing the .proto; commit the
// result.
//go:generate sh -c "protoc --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --plugin=protoc-gen-go-grpc=$(go tool -n protoc-gen-go-grpc) --proto_path=proto --go_out=proto --go_opt=paths=source_relative --go-grpc_out=proto --go-grpc_opt=paths=source_relative proto/channel.proto"
