//! Registers and shared variables: `Load`, `Store`, `Const`, `BinOp`, `AtomicAdd`, and Python's
//! operators on model values ([`binop`]), with CPython's `TypeError` messages.

use super::{overflow, Ctx};
use crate::event::EventKind;
use crate::machine::Machine;
use crate::op::{BinOpKind, Operand};
use crate::outcome::{PyError, PyExc};
use crate::value::{RegId, Value, VarId};

/// Python equality on model values (`1 == True`, `None == None`).
fn py_eq(a: Value, b: Value) -> bool {
    match (a.as_int(), b.as_int()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// `a <op> b` with Python's semantics and CPython's `TypeError` messages.
pub(crate) fn binop(op: BinOpKind, a: Value, b: Value) -> Result<Value, PyError> {
    match op {
        BinOpKind::Eq => return Ok(Value::Bool(py_eq(a, b))),
        BinOpKind::Ne => return Ok(Value::Bool(!py_eq(a, b))),
        BinOpKind::And => return Ok(if a.truthy() { b } else { a }),
        BinOpKind::Or => return Ok(if a.truthy() { a } else { b }),
        _ => {}
    }
    let (Some(x), Some(y)) = (a.as_int(), b.as_int()) else {
        let msg = match op {
            BinOpKind::Add | BinOpKind::Sub | BinOpKind::Mul => format!(
                "unsupported operand type(s) for {}: '{}' and '{}'",
                op.symbol(),
                a.type_name(),
                b.type_name()
            ),
            _ => format!(
                "'{}' not supported between instances of '{}' and '{}'",
                op.symbol(),
                a.type_name(),
                b.type_name()
            ),
        };
        return Err(PyError::new(PyExc::TypeError, msg));
    };
    let int = |r: Option<i64>| r.map(Value::Int).ok_or_else(overflow);
    match op {
        BinOpKind::Add => int(x.checked_add(y)),
        BinOpKind::Sub => int(x.checked_sub(y)),
        BinOpKind::Mul => int(x.checked_mul(y)),
        BinOpKind::Lt => Ok(Value::Bool(x < y)),
        BinOpKind::Le => Ok(Value::Bool(x <= y)),
        BinOpKind::Gt => Ok(Value::Bool(x > y)),
        BinOpKind::Ge => Ok(Value::Bool(x >= y)),
        BinOpKind::Eq | BinOpKind::Ne | BinOpKind::And | BinOpKind::Or => Ok(Value::None),
    }
}

impl Machine {
    /// `dst = var` (`LOAD_GLOBAL`).
    pub(super) fn load(&mut self, c: Ctx, var: VarId, dst: RegId) -> EventKind {
        self.start(c.ti, 0);
        let value = self.vars[var.index()];
        c.set(self, dst, value);
        EventKind::Read { var, value }
    }

    /// `var = src` (`STORE_GLOBAL`).
    pub(super) fn store(&mut self, c: Ctx, var: VarId, src: RegId) -> EventKind {
        self.start(c.ti, 0);
        let new = self.regs[c.base + src.index()];
        let old = std::mem::replace(&mut self.vars[var.index()], new);
        EventKind::Wrote { var, old, new }
    }

    /// `dst = value` (`LOAD_CONST`).
    pub(super) fn constant(&mut self, c: Ctx, dst: RegId, value: Value) -> EventKind {
        self.start(c.ti, 0);
        c.set(self, dst, value);
        EventKind::Computed { dst, value }
    }

    /// `dst = a <op> b`; raises what Python would.
    pub(super) fn bin_op(
        &mut self,
        c: Ctx,
        dst: RegId,
        op: BinOpKind,
        a: &Operand,
        b: &Operand,
    ) -> Result<EventKind, PyError> {
        let value = binop(op, c.operand(self, a), c.operand(self, b))?;
        self.start(c.ti, 0);
        c.set(self, dst, value);
        Ok(EventKind::Computed { dst, value })
    }

    /// `var += imm` in one step.
    pub(super) fn atomic_add(
        &mut self,
        c: Ctx,
        var: VarId,
        imm: i64,
    ) -> Result<EventKind, PyError> {
        let v = var.index();
        let value = binop(BinOpKind::Add, self.vars[v], Value::Int(imm))?;
        self.start(c.ti, 0);
        self.vars[v] = value;
        Ok(EventKind::Tallied { var, value })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::{binop, BinOpKind, PyExc, Value};
    use crate::samples;
    use crate::{Machine, Outcome};

    #[test]
    fn binop_raises_cpython_type_errors() {
        let e = binop(BinOpKind::Add, Value::None, Value::Int(1)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "TypeError: unsupported operand type(s) for +: 'NoneType' and 'int'"
        );
        let e = binop(BinOpKind::Lt, Value::Int(1), Value::None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "TypeError: '<' not supported between instances of 'int' and 'NoneType'"
        );
    }

    #[test]
    fn binop_follows_python_semantics() {
        assert_eq!(
            binop(BinOpKind::Add, Value::Bool(true), Value::Bool(true)),
            Ok(Value::Int(2))
        );
        assert_eq!(
            binop(BinOpKind::Eq, Value::Int(1), Value::Bool(true)),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            binop(BinOpKind::And, Value::Int(0), Value::Int(5)),
            Ok(Value::Int(0))
        );
        assert_eq!(
            binop(BinOpKind::Or, Value::None, Value::Int(5)),
            Ok(Value::Int(5))
        );
        assert_eq!(
            binop(BinOpKind::Ge, Value::Int(3), Value::Int(3)),
            Ok(Value::Bool(true))
        );
    }

    #[test]
    fn binop_overflow_is_an_overflow_error_not_a_wrap() {
        let e = binop(BinOpKind::Add, Value::Int(i64::MAX), Value::Int(1)).unwrap_err();
        assert_eq!(e.kind, PyExc::OverflowError);
        let e = binop(BinOpKind::Mul, Value::Int(i64::MIN), Value::Int(-1)).unwrap_err();
        assert_eq!(e.kind, PyExc::OverflowError);
    }

    #[test]
    fn interleaved_increments_lose_an_update() {
        let mut m = Machine::new(samples::race(2, 1, false)).unwrap();
        for t in [T1, T1, T2, T2, T2, T2, T1, T1] {
            m.step(t).unwrap();
        }
        assert_eq!(m.var_by_name("counter"), Some(Value::Int(1)));
        assert!(matches!(m.outcome(), Some(Outcome::Finished { .. })));
    }

    #[test]
    fn events_read_like_a_log() {
        let mut m = Machine::new(samples::race(2, 1, false)).unwrap();
        assert_eq!(m.step(T1).unwrap().to_string(), "T1 read counter = 0");
        assert_eq!(m.step(T1).unwrap().to_string(), "T1 set one = 1");
        assert_eq!(m.step(T1).unwrap().to_string(), "T1 set tmp = 1");
        let e = m.step(T1).unwrap();
        assert_eq!(e.to_string(), "T1 wrote counter = 1 (was 0); T1 finished");
        assert_eq!(e.line, 8);
        assert_eq!(e.op_text(), "STORE_GLOBAL 0 (counter)");
    }
}
