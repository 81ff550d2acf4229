# syntax=docker/dockerfile:1
# iamctl in a small image: a static binary (built on Alpine, whose musl makes
# static executables), run from `scratch` as a non-root user.
#
#   docker build -t iamctl .
#   docker run --rm iamctl --version
#   docker run --rm -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_SESSION_TOKEN \
#       -e AWS_REGION iamctl whoami
#   docker run --rm -v "$HOME/.aws:/home/iamctl/.aws:ro" -e AWS_PROFILE=prod iamctl whoami
#
# The same commands build the static binary without Docker on an Alpine host
# (see docs/install.md).

ARG RUST_VERSION=1
FROM rust:${RUST_VERSION}-alpine AS build
# aws-lc-sys (the TLS library's cryptography) compiles C: a compiler, cmake, perl.
RUN apk add --no-cache musl-dev gcc g++ make cmake perl ca-certificates
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p iamctl \
    && install -D -m 0755 target/release/iamctl /out/iamctl
# Static: no interpreter, so it runs on `scratch`.
RUN /out/iamctl --version \
    && ! readelf -l /out/iamctl | grep -q 'program interpreter'

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/iamctl /usr/local/bin/iamctl
ENV HOME=/home/iamctl \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# A fixed non-root user (no /etc/passwd in scratch: numeric ids).
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/iamctl"]
CMD ["--help"]
