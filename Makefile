# tenantops — build, package, test. GNU make; needs only the Go toolchain
# (zips are written by ./infra/tools/mkzip, not by an installed zip).
#
#   make build     host binaries: bin/handler, bin/bootstrap, bin/tenantops
#   make package   dist/azure.zip (Azure Functions custom handler, linux/amd64)
#                  dist/aws/bootstrap-arm64.zip, dist/aws/bootstrap-amd64.zip (Lambda provided.al2023)
#   make test      go test ./...
#   make vet       go vet ./...
#   make clean     remove bin/ and dist/
#
# Builds are reproducible: CGO off, -trimpath, no build id, no VCS stamping,
# and the zips have fixed timestamps and sorted entries, so the same commit and
# Go version give byte-identical artefacts. BIN and DIST may be overridden,
# e.g. `make package DIST=/tmp/out` (the infra packaging test does that).

GO      ?= go
BIN     ?= bin
DIST    ?= dist

HANDLER_PKG   := ./functions/cmd/handler
BOOTSTRAP_PKG := ./functions/cmd/bootstrap
CLI_PKG       := ./scripts/tenantops
MKZIP         := $(GO) run ./infra/tools/mkzip

# Architectures of the Lambda bootstrap zips; the SAM template deploys arm64.
AWS_ARCHES := arm64 amd64

# Every functions/<Name>/ that has a function.json is an Azure function.
FUNCTION_NAMES := $(sort $(patsubst functions/%/function.json,%,$(wildcard functions/*/function.json)))

GOBUILD = CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -ldflags='-s -w -buildid='

.DEFAULT_GOAL := build
.PHONY: build package package-azure package-aws $(addprefix package-aws-,$(AWS_ARCHES)) \
	test vet clean build-TenantOpsFunction

build:
	@mkdir -p $(BIN)
	$(GOBUILD) -o $(BIN)/handler $(HANDLER_PKG)
	$(GOBUILD) -tags lambda.norpc -o $(BIN)/bootstrap $(BOOTSTRAP_PKG)
	$(GOBUILD) -o $(BIN)/tenantops $(CLI_PKG)
	@ls -l $(BIN)

package: package-azure package-aws

# dist/azure: host.json, <Name>/function.json for each function, handler (linux/amd64).
package-azure:
	rm -rf $(DIST)/azure $(DIST)/azure.zip
	@mkdir -p $(DIST)/azure
	cp host.json $(DIST)/azure/host.json
	@set -e; for name in $(FUNCTION_NAMES); do \
		mkdir -p $(DIST)/azure/$$name; \
		cp functions/$$name/function.json $(DIST)/azure/$$name/function.json; \
		echo "cp functions/$$name/function.json $(DIST)/azure/$$name/"; \
	done
	GOOS=linux GOARCH=amd64 $(GOBUILD) -o $(DIST)/azure/handler $(HANDLER_PKG)
	chmod 0755 $(DIST)/azure/handler
	$(MKZIP) -o $(DIST)/azure.zip -C $(DIST)/azure

package-aws: $(addprefix package-aws-,$(AWS_ARCHES))

# dist/aws/<arch>/bootstrap and dist/aws/bootstrap-<arch>.zip
define aws_package
package-aws-$(1):
	rm -rf $$(DIST)/aws/$(1) $$(DIST)/aws/bootstrap-$(1).zip
	@mkdir -p $$(DIST)/aws/$(1)
	GOOS=linux GOARCH=$(1) $$(GOBUILD) -tags lambda.norpc -o $$(DIST)/aws/$(1)/bootstrap $$(BOOTSTRAP_PKG)
	chmod 0755 $$(DIST)/aws/$(1)/bootstrap
	$$(MKZIP) -o $$(DIST)/aws/bootstrap-$(1).zip -C $$(DIST)/aws/$(1)
endef
$(foreach arch,$(AWS_ARCHES),$(eval $(call aws_package,$(arch))))

# For SAM's `BuildMethod: makefile` (see infra/aws/README.md): SAM sets
# ARTIFACTS_DIR and expects a bootstrap there. The default template deploys
# the zip from `make package` instead and does not use this target.
build-TenantOpsFunction:
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: this target is called by sam build))
	GOOS=linux GOARCH=arm64 $(GOBUILD) -tags lambda.norpc -o $(ARTIFACTS_DIR)/bootstrap $(BOOTSTRAP_PKG)

test:
	$(GO) test ./...

vet:
	$(GO) vet ./...

clean:
	rm -rf $(BIN) $(DIST)
