//! Real-threads experiments (placeholder while the lab is written).
