//! Dashboard and report figures, cached briefly because each one aggregates the ledger or orders.
