# riskgraph: build the single binary, then run it on a small image.
# The API listens on 8080; with --store neo4j it reads RISKGRAPH_NEO4J_* (see docker-compose.yml).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/riskgraph .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/riskgraph /usr/local/bin/riskgraph
ENV RISKGRAPH_ADDR=0.0.0.0:8080
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/riskgraph"]
CMD ["--store", "neo4j"]
