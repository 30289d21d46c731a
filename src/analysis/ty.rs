//! The type the file's own syntax proves a value has ([`Ty`]): what the `typing` module infers
//! and the walk's locals remember. Plain data.

/// What an expression's value provably is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// One known type.
    One(&'static str),
    /// A tuple of known types (`channel()`).
    Tuple(&'static [String]),
    /// A collection or iterator whose items are of one known type (`Vec<JoinHandle<T>>`).
    Elems(&'static str),
}
