"""Security pieces shared by the adapters: token encryption at rest, log redaction, the replay
guard for signed HTTP requests and the audit log of subscription changes (SECURITY.md)."""
