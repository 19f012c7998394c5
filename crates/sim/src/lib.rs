//! Deterministic model of Python threads (placeholder while the engine is written).
