"""The CA provider's remote signing service (ký số từ xa): its HTTP client and, for development and tests, an
emulator speaking the same protocol (`connectors.signing.emulator`). docs/SIGNATURES.md describes the wire."""
