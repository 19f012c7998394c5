//! Lockstep app.
