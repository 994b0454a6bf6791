# Stella in a container: a static binary on a distroless base, running as a non-root user.
#   docker build -t stella .
#   docker run --rm -v stella-data:/var/lib/stella -p 8080:8080 stella serve --addr 0.0.0.0:8080 \
#     --data /var/lib/stella/data --store /var/lib/stella/artifacts --key stella/signing/prod
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: one static binary (PKCS#11 keys need cgo; build with CGO_ENABLED=1 on a glibc base for them).
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/stella ./cmd/stella

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/stella /usr/local/bin/stella
ENV STELLA_DATA=/var/lib/stella/data STELLA_STORE=/var/lib/stella/artifacts STELLA_KEYRING=/var/lib/stella/keys
VOLUME ["/var/lib/stella"]
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/stella"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
