# The one l2c binary, for `l2c serve`, `l2c worker` and `l2c migrate`.

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so code changes do not re-download modules.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static binary: the runtime image has no C library to match. Time zone data is
# embedded by cmd/l2c (time/tzdata).
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/l2c ./cmd/l2c

# Alpine rather than distroless: its busybox wget lets compose healthchecks call
# /readyz without shipping curl.
FROM alpine:3.22
RUN apk add --no-cache ca-certificates \
	&& addgroup -S -g 10001 l2c \
	&& adduser -S -D -H -u 10001 -G l2c l2c \
	&& mkdir -p /var/lib/l2c && chown l2c:l2c /var/lib/l2c
COPY --from=build /out/l2c /usr/local/bin/l2c
USER l2c:l2c
ENV L2C_HTTP_ADDR=0.0.0.0:8080 \
	L2C_DATA_DIR=/var/lib/l2c
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/l2c"]
CMD ["serve"]
