# riskgraph: build the single binary, then run it on a small image.
# The API listens on 8080 on every interface, so it needs API keys: the server refuses to start
# without them (local mode, no keys, is loopback only). Make a keys file on the host with
#   go run . keys add NAME ROLE --keys-file riskgraph.keys   (prints the key once; the file holds its hash)
#   chmod 0644 riskgraph.keys                                (hashes only; the image runs as nonroot)
# and mount it at /etc/riskgraph/keys (see docker-compose.yml), or pass the hash lines in
# RISKGRAPH_KEYS (';'-separated). Set RISKGRAPH_ALLOWED_HOSTS to the names clients use.
# With --store neo4j it reads RISKGRAPH_NEO4J_* (see docker-compose.yml).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/riskgraph .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/riskgraph /usr/local/bin/riskgraph
ENV RISKGRAPH_ADDR=0.0.0.0:8080 \
    RISKGRAPH_KEYS_FILE=/etc/riskgraph/keys
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/riskgraph"]
CMD ["--store", "neo4j"]
