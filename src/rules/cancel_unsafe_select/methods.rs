//! The methods whose futures are not cancel-safe, what a `select!` loses when it drops one
//! ([`Loss`]), and how messages show a future's code ([`short`]).

/// What losing the race costs, per API.
#[derive(Clone, Copy)]
pub(super) enum Loss {
    /// Bytes already read are dropped.
    Read,
    /// How much was written is unknown.
    Write,
    /// The message is dropped.
    Message,
    /// The place in a fair queue is lost.
    Queue,
    /// Data read but not yet written is dropped.
    Copy,
}

/// Methods whose futures are not cancel-safe, by name and argument count (tokio's
/// `AsyncReadExt`/`AsyncBufReadExt`/`AsyncWriteExt` and `mpsc::Sender::send`): a crate's own
/// `read_line()` or `send()` with another arity is not one of them.
pub(super) const METHODS: &[(&str, usize, Loss)] = &[
    ("read_exact", 1, Loss::Read),
    ("read_to_end", 1, Loss::Read),
    ("read_to_string", 1, Loss::Read),
    ("read_line", 1, Loss::Read),
    ("read_until", 2, Loss::Read),
    ("write_all", 1, Loss::Write),
    ("send", 1, Loss::Message),
];

/// The code of a future for messages: its last call's arguments elided (`reader.read_exact(..)`).
pub(super) fn short(text: &str) -> String {
    let text = text.trim();
    if !text.ends_with(')') {
        return text.to_string();
    }
    let mut depth = 0usize;
    for (i, ch) in text.char_indices().rev() {
        match ch {
            ')' => depth += 1,
            '(' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return if text.len() - i <= 2 {
                        text.to_string()
                    } else {
                        format!("{}(..)", &text[..i])
                    };
                }
            }
            _ => {}
        }
    }
    text.to_string()
}
