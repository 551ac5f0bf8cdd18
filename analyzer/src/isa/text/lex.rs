//! Splitting one line of assembly into tokens, each with its column.
//!
//! Tokens are identifiers (`r1`, `goto`, `LBB0_3`, `u32`), unsigned numbers (`0x1f`, `31`) and
//! operators. Operators are matched longest first against a fixed list, so `s>>=` is one
//! token and `<LBB0_3>` is `<`, `LBB0_3`, `>`. Signs are separate tokens: the parser decides
//! whether `-` negates a number or a register.
//!
//! Comments run from `;`, `#` or `//` to the end of the line; none of those appears in an
//! instruction, and `;` is what the corpus's annotations (`;~ error[...]`) start with.

/// One token's kind and text.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Tok<'s> {
    Ident(&'s str),
    /// A number's magnitude. `None` when it does not fit in 64 bits.
    Num(Option<u64>),
    Punct(&'static str),
}

/// A token and its 1-based column (in characters).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Token<'s> {
    pub tok: Tok<'s>,
    pub col: u32,
    /// The token's source text, for error messages.
    pub text: &'s str,
}

/// Longest first, so that matching the first one that fits is maximal munch.
const PUNCTS: [&str; 35] = [
    "s>>=", "<<=", ">>=", "s/=", "s%=", "s>=", "s<=", "+=", "-=", "*=", "/=", "%=", "|=", "&=",
    "^=", "==", "!=", ">=", "<=", "s>", "s<", "=", ">", "<", "&", "+", "-", "*", "(", ")", "[",
    "]", ",", ":", "/",
];

/// The line without its comment.
pub(super) fn strip_comment(line: &str) -> &str {
    let end = [line.find(';'), line.find('#'), line.find("//")]
        .into_iter()
        .flatten()
        .min();
    &line[..end.unwrap_or(line.len())]
}

/// Tokens of `line` (comment already stripped), or the column and text of the first character
/// that starts no token.
pub(super) fn lex(line: &str) -> Result<Vec<Token<'_>>, (u32, String)> {
    let mut res = Vec::new();
    let mut pos = 0;
    let col_of = |pos: usize| u32::try_from(line[..pos].chars().count() + 1).unwrap_or(u32::MAX);
    while pos < line.len() {
        let rest = &line[pos..];
        let c = rest.chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            pos += c.len_utf8();
            continue;
        }
        let col = col_of(pos);
        let len = if let Some(p) = PUNCTS.iter().find(|p| rest.starts_with(*p)) {
            // An `s` directly followed by `>`, `<`, `/` or `%` is a signed operator;
            // identifiers such as `s8` or `skb` match no operator.
            res.push(Token {
                tok: Tok::Punct(p),
                col,
                text: p,
            });
            p.len()
        } else if c.is_ascii_digit() {
            let len = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            let text = &rest[..len];
            let num = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse::<u64>(),
            };
            match num {
                Ok(v) => res.push(Token {
                    tok: Tok::Num(Some(v)),
                    col,
                    text,
                }),
                // Digits only, but too big: the parser reports it as out of range.
                Err(_) if text.chars().skip(2).all(|c| c.is_ascii_hexdigit()) => {
                    res.push(Token {
                        tok: Tok::Num(None),
                        col,
                        text,
                    });
                }
                Err(_) => return Err((col, text.to_string())),
            }
            len
        } else if is_ident_start(c) {
            let len = rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len());
            res.push(Token {
                tok: Tok::Ident(&rest[..len]),
                col,
                text: &rest[..len],
            });
            len
        } else {
            return Err((col, c.to_string()));
        };
        pos += len;
    }
    Ok(res)
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '.' || c == '$'
}

fn is_ident_char(c: char) -> bool {
    is_ident_start(c) || c.is_ascii_digit()
}
