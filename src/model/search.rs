//! SearchGameSessions expression language: the tokenizer, recursive-descent
//! parser and evaluator for `FilterExpression`, and the parser and comparator
//! for `SortExpression`.
//!
//! This module owns the grammar only. It knows nothing about fleets, locks or
//! the game session store: the caller parses the request strings once with
//! [`parse_filter`] / [`parse_sort`] (turning a [`SearchError`] into an
//! `InvalidRequestException`), then evaluates [`Filter::matches`] and
//! [`Sort::compare`] against anything implementing [`SessionFields`].
//! Evaluation does not allocate.
//!
//! # Filter grammar
//!
//! ```text
//! filter     := or_expr EOF
//! or_expr    := and_expr ( OR and_expr )*
//! and_expr   := not_expr ( AND not_expr )*
//! not_expr   := NOT not_expr | primary
//! primary    := '(' or_expr ')' | condition
//! condition  := operand comparator value
//! operand    := gameSessionName | gameSessionId | gameSessionProperties.<key>
//!             | maximumSessions | creationTimeMillis | playerSessionCount
//!             | hasAvailablePlayerSessions
//! comparator := '=' | '<>' | '<' | '>' | '<=' | '>='
//! value      := number | true | false | 'single quoted' | "double quoted"
//! ```
//!
//! * `AND`, `OR`, `NOT`, `true`, `false`, `ASC`, `DESC` are case-insensitive;
//!   operand names are case-sensitive.
//! * Numbers are `-?[0-9]+(\.[0-9]+)?` (no exponent, no leading `+`).
//! * Inside a string a backslash makes the next character literal, so `\'`,
//!   `\"` and `\\` produce `'`, `"` and `\`.
//! * Whitespace between tokens is optional wherever the tokens are otherwise
//!   distinguishable (`maximumSessions>=10 AND(playerSessionCount<2)`).
//! * Property keys are 1 to [`MAX_PROPERTY_KEY_LEN`] characters of
//!   `[A-Za-z0-9_-]`.
//! * Each `(` and each `NOT` adds a nesting level; more than [`MAX_DEPTH`]
//!   levels is rejected.
//! * Error positions are 0-based character offsets into the expression.
//!
//! # Sort grammar
//!
//! ```text
//! sort := operand ( ASC | DESC ) EOF
//! ```

use std::cmp::Ordering;
use std::fmt;

/// Maximum nesting depth (parentheses plus `NOT`s) accepted in a filter.
pub const MAX_DEPTH: usize = 64;

/// Maximum length of the key in `gameSessionProperties.<key>`.
pub const MAX_PROPERTY_KEY_LEN: usize = 32;

const PROPERTIES_PREFIX: &str = "gameSessionProperties";

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/// A game session attribute that can be filtered or sorted on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Operand {
    /// `gameSessionName` (string; may be absent on a session).
    GameSessionName,
    /// `gameSessionId` (string).
    GameSessionId,
    /// `gameSessionProperties.<key>` (string; may be absent on a session).
    Property(String),
    /// `maximumSessions` (number).
    MaximumSessions,
    /// `creationTimeMillis` (number).
    CreationTimeMillis,
    /// `playerSessionCount` (number).
    PlayerSessionCount,
    /// `hasAvailablePlayerSessions` (boolean).
    HasAvailablePlayerSessions,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparator {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
}

/// A literal on the right-hand side of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A quoted string, escapes already resolved.
    Str(String),
    /// A number (always finite when produced by [`parse_filter`]).
    Num(f64),
    /// `true` / `false`.
    Bool(bool),
}

/// A parsed `FilterExpression`.
///
/// The parser flattens chains (`a AND b AND c` becomes one `And` with three
/// children) and never produces an `And`/`Or` with fewer than two children.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `<operand> <comparator> <value>`.
    Compare {
        /// Attribute being tested.
        operand: Operand,
        /// Comparison operator.
        cmp: Comparator,
        /// Literal compared against.
        value: Value,
    },
    /// `NOT <filter>`.
    Not(Box<Filter>),
    /// All children must match.
    And(Vec<Filter>),
    /// At least one child must match.
    Or(Vec<Filter>),
}

/// A parsed `SortExpression`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sort {
    /// Attribute to sort by.
    pub operand: Operand,
    /// `true` for `DESC`, `false` for `ASC`.
    pub descending: bool,
}

/// A syntax or type error in a filter or sort expression. The message is
/// complete and user-facing, e.g.
/// `Invalid FilterExpression: unexpected token ')' at position 17`.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchError(pub String);

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SearchError {}

/// Read access to the attributes of one game session, as seen by search.
pub trait SessionFields {
    /// The session's name, if it has one.
    fn game_session_name(&self) -> Option<&str>;
    /// The value `gameSessionId` conditions compare against.
    fn game_session_id(&self) -> &str;
    /// The value of game property `key`, if the session has it.
    fn property(&self, key: &str) -> Option<&str>;
    /// Maximum number of player sessions.
    fn maximum_sessions(&self) -> i64;
    /// Creation time, Unix epoch milliseconds.
    fn creation_time_millis(&self) -> i64;
    /// Current number of player sessions.
    fn player_session_count(&self) -> i64;
    /// Whether the session can take another player (normally
    /// `player_session_count() < maximum_sessions()`).
    fn has_available_player_sessions(&self) -> bool;
}

// ---------------------------------------------------------------------------
// Operand / Comparator / Value helpers
// ---------------------------------------------------------------------------

/// The type of value an operand accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Num,
    Bool,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Str => "string",
            Kind::Num => "number",
            Kind::Bool => "boolean",
        }
    }
}

impl Operand {
    fn kind(&self) -> Kind {
        match self {
            Operand::GameSessionName | Operand::GameSessionId | Operand::Property(_) => Kind::Str,
            Operand::MaximumSessions | Operand::CreationTimeMillis | Operand::PlayerSessionCount => Kind::Num,
            Operand::HasAvailablePlayerSessions => Kind::Bool,
        }
    }

    /// Resolves an identifier token to an operand; `pos` is only used in
    /// error messages.
    fn from_ident(text: &str, pos: usize) -> Result<Operand, String> {
        Ok(match text {
            "gameSessionName" => Operand::GameSessionName,
            "gameSessionId" => Operand::GameSessionId,
            "maximumSessions" => Operand::MaximumSessions,
            "creationTimeMillis" => Operand::CreationTimeMillis,
            "playerSessionCount" => Operand::PlayerSessionCount,
            "hasAvailablePlayerSessions" => Operand::HasAvailablePlayerSessions,
            PROPERTIES_PREFIX => {
                return Err(format!(
                    "operand '{PROPERTIES_PREFIX}' at position {pos} needs a property key, \
                     e.g. '{PROPERTIES_PREFIX}.gameMode'"
                ));
            }
            _ => {
                let Some(key) = text.strip_prefix(PROPERTIES_PREFIX).and_then(|rest| rest.strip_prefix('.'))
                else {
                    return Err(format!("unknown operand '{text}' at position {pos}"));
                };
                if key.is_empty() {
                    return Err(format!(
                        "missing property key after '{PROPERTIES_PREFIX}.' at position {pos}"
                    ));
                }
                let valid_chars = key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !valid_chars || key.chars().count() > MAX_PROPERTY_KEY_LEN {
                    return Err(format!(
                        "invalid property key '{key}' at position {pos}: keys must be 1 to \
                         {MAX_PROPERTY_KEY_LEN} characters of A-Z, a-z, 0-9, '_' or '-'"
                    ));
                }
                Operand::Property(key.to_string())
            }
        })
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::GameSessionName => f.write_str("gameSessionName"),
            Operand::GameSessionId => f.write_str("gameSessionId"),
            Operand::Property(key) => write!(f, "{PROPERTIES_PREFIX}.{key}"),
            Operand::MaximumSessions => f.write_str("maximumSessions"),
            Operand::CreationTimeMillis => f.write_str("creationTimeMillis"),
            Operand::PlayerSessionCount => f.write_str("playerSessionCount"),
            Operand::HasAvailablePlayerSessions => f.write_str("hasAvailablePlayerSessions"),
        }
    }
}

impl Comparator {
    /// The operator as written in an expression.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ne => "<>",
            Comparator::Lt => "<",
            Comparator::Gt => ">",
            Comparator::Le => "<=",
            Comparator::Ge => ">=",
        }
    }

    /// Whether `left <cmp> right` holds given `left.cmp(right) == ord`.
    fn holds(self, ord: Ordering) -> bool {
        match self {
            Comparator::Eq => ord == Ordering::Equal,
            Comparator::Ne => ord != Ordering::Equal,
            Comparator::Lt => ord == Ordering::Less,
            Comparator::Gt => ord == Ordering::Greater,
            Comparator::Le => ord != Ordering::Greater,
            Comparator::Ge => ord != Ordering::Less,
        }
    }

    fn is_equality(self) -> bool {
        matches!(self, Comparator::Eq | Comparator::Ne)
    }
}

impl fmt::Display for Comparator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl Value {
    fn kind(&self) -> Kind {
        match self {
            Value::Str(_) => Kind::Str,
            Value::Num(_) => Kind::Num,
            Value::Bool(_) => Kind::Bool,
        }
    }
}

impl fmt::Display for Value {
    /// Renders the value in expression syntax (strings single-quoted and
    /// escaped), so the output parses back to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => {
                f.write_str("'")?;
                for c in s.chars() {
                    if c == '\'' || c == '\\' {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("'")
            }
            Value::Num(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl fmt::Display for Filter {
    /// Renders the filter in expression syntax with only the parentheses the
    /// precedence rules require, so the output parses back to an equal
    /// `Filter` without nesting deeper than the original text did.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { operand, cmp, value } => write!(f, "{operand} {cmp} {value}"),
            Filter::Not(inner) => match **inner {
                Filter::And(_) | Filter::Or(_) => write!(f, "NOT ({inner})"),
                _ => write!(f, "NOT {inner}"),
            },
            Filter::And(children) | Filter::Or(children) => {
                let is_and = matches!(self, Filter::And(_));
                for (i, child) in children.iter().enumerate() {
                    if i > 0 {
                        f.write_str(if is_and { " AND " } else { " OR " })?;
                    }
                    let needs_parens = match child {
                        Filter::Or(_) => true,
                        Filter::And(_) => is_and,
                        _ => false,
                    };
                    if needs_parens {
                        write!(f, "({child})")?;
                    } else {
                        write!(f, "{child}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Sort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let order = if self.descending { "DESC" } else { "ASC" };
        write!(f, "{} {order}", self.operand)
    }
}

// ---------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// Operand name, keyword or boolean literal (the text is in `Token::text`).
    Ident,
    Str(String),
    Num(f64),
    Cmp(Comparator),
    LParen,
    RParen,
}

#[derive(Debug, Clone)]
struct Token<'a> {
    tok: Tok,
    /// 0-based character offset of the token's first character.
    pos: usize,
    /// The token exactly as written.
    text: &'a str,
}

impl Token<'_> {
    /// How the token is named in error messages: `token 'x'`, or
    /// `string 'x'` for a string literal (whose text carries its quotes).
    fn describe(&self) -> String {
        match self.tok {
            Tok::Str(_) => format!("string {}", self.text),
            _ => format!("token '{}'", self.text),
        }
    }

    fn is_keyword(&self, kw: &str) -> bool {
        self.tok == Tok::Ident && self.text.eq_ignore_ascii_case(kw)
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '.'
}

/// `-?[0-9]+(\.[0-9]+)?`
fn is_valid_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match digits.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(int) && frac.is_none_or(all_digits)
}

/// The characters of an expression with their byte offsets.
type Chars = [(usize, char)];

fn char_at(chars: &Chars, i: usize) -> Option<char> {
    chars.get(i).map(|&(_, c)| c)
}

fn tokenize(src: &str) -> Result<Vec<Token<'_>>, String> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(src.len(), |&(b, _)| b);
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(c) = char_at(&chars, i) {
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let (tok, end) = if let Some(op) = scan_operator(&chars, i) {
            op
        } else if c == '\'' || c == '"' {
            scan_string(&chars, start)?
        } else if c.is_ascii_digit()
            || (c == '-' && char_at(&chars, i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            scan_number(src, &chars, start)?
        } else if is_ident_start(c) {
            let mut end = i + 1;
            while char_at(&chars, end).is_some_and(is_ident_continue) {
                end += 1;
            }
            (Tok::Ident, end)
        } else {
            return Err(format!("unexpected character '{c}' at position {start}"));
        };
        i = end;
        tokens.push(Token { tok, pos: start, text: &src[byte_at(start)..byte_at(i)] });
    }
    Ok(tokens)
}

/// A parenthesis or comparison operator at `i`, and where it ends.
fn scan_operator(chars: &Chars, i: usize) -> Option<(Tok, usize)> {
    let next = char_at(chars, i + 1);
    Some(match (char_at(chars, i)?, next) {
        ('(', _) => (Tok::LParen, i + 1),
        (')', _) => (Tok::RParen, i + 1),
        ('=', _) => (Tok::Cmp(Comparator::Eq), i + 1),
        ('<', Some('>')) => (Tok::Cmp(Comparator::Ne), i + 2),
        ('<', Some('=')) => (Tok::Cmp(Comparator::Le), i + 2),
        ('<', _) => (Tok::Cmp(Comparator::Lt), i + 1),
        ('>', Some('=')) => (Tok::Cmp(Comparator::Ge), i + 2),
        ('>', _) => (Tok::Cmp(Comparator::Gt), i + 1),
        _ => return None,
    })
}

/// A string quoted with the quote at `start` (a backslash escapes the next character).
fn scan_string(chars: &Chars, start: usize) -> Result<(Tok, usize), String> {
    let unterminated = || format!("unterminated string starting at position {start}");
    let quote = char_at(chars, start).ok_or_else(unterminated)?;
    let mut value = String::new();
    let mut i = start + 1;
    loop {
        match char_at(chars, i).ok_or_else(unterminated)? {
            '\\' => {
                value.push(char_at(chars, i + 1).ok_or_else(unterminated)?);
                i += 2;
            }
            q if q == quote => return Ok((Tok::Str(value), i + 1)),
            other => {
                value.push(other);
                i += 1;
            }
        }
    }
}

/// A number at `start`. Everything that could belong to the literal is consumed, so that
/// `10AND` or `1.2.3` is reported as one bad number.
fn scan_number(src: &str, chars: &Chars, start: usize) -> Result<(Tok, usize), String> {
    let mut end = start + 1;
    while char_at(chars, end).is_some_and(|d| d.is_alphanumeric() || d == '.' || d == '_') {
        end += 1;
    }
    let byte_at = |i: usize| chars.get(i).map_or(src.len(), |&(b, _)| b);
    let text = &src[byte_at(start)..byte_at(end)];
    if !is_valid_number(text) {
        return Err(format!("invalid number '{text}' at position {start}"));
    }
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok((Tok::Num(n), end)),
        _ => Err(format!("number '{text}' at position {start} is out of range")),
    }
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    next: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.next)
    }

    fn advance(&mut self) -> Option<Token<'a>> {
        let tok = self.tokens.get(self.next).cloned();
        if tok.is_some() {
            self.next += 1;
        }
        tok
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        if self.peek().is_some_and(|t| t.is_keyword(kw)) {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn unexpected(tok: &Token<'_>) -> String {
        format!("unexpected {} at position {}", tok.describe(), tok.pos)
    }

    fn check_depth(depth: usize, tok: &Token<'_>) -> Result<(), String> {
        if depth > MAX_DEPTH {
            Err(format!("expression nested deeper than {MAX_DEPTH} levels at position {}", tok.pos))
        } else {
            Ok(())
        }
    }

    fn parse_or(&mut self, depth: usize) -> Result<Filter, String> {
        let mut children = Vec::new();
        push_flattened(&mut children, self.parse_and(depth)?, true);
        while self.eat_keyword("OR") {
            push_flattened(&mut children, self.parse_and(depth)?, true);
        }
        Ok(collapse(children, Filter::Or))
    }

    fn parse_and(&mut self, depth: usize) -> Result<Filter, String> {
        let mut children = Vec::new();
        push_flattened(&mut children, self.parse_not(depth)?, false);
        while self.eat_keyword("AND") {
            push_flattened(&mut children, self.parse_not(depth)?, false);
        }
        Ok(collapse(children, Filter::And))
    }

    fn parse_not(&mut self, depth: usize) -> Result<Filter, String> {
        // NOT chains are handled iteratively; the depth limit still applies.
        let mut nots = 0usize;
        while let Some(tok) = self.peek() {
            if !tok.is_keyword("NOT") {
                break;
            }
            Self::check_depth(depth + nots + 1, tok)?;
            nots += 1;
            self.next += 1;
        }
        let mut filter = self.parse_primary(depth + nots)?;
        for _ in 0..nots {
            filter = Filter::Not(Box::new(filter));
        }
        Ok(filter)
    }

    fn parse_primary(&mut self, depth: usize) -> Result<Filter, String> {
        let Some(tok) = self.peek() else {
            return Err("unexpected end of expression, expected a condition".to_string());
        };
        if tok.tok != Tok::LParen {
            return self.parse_condition();
        }
        Self::check_depth(depth + 1, tok)?;
        let open_pos = tok.pos;
        self.next += 1;
        let inner = self.parse_or(depth + 1)?;
        match self.advance() {
            Some(t) if t.tok == Tok::RParen => Ok(inner),
            Some(t) => Err(Self::unexpected(&t)),
            None => Err(format!("missing ')' to close '(' at position {open_pos}")),
        }
    }

    fn parse_condition(&mut self) -> Result<Filter, String> {
        let Some(tok) = self.advance() else {
            return Err("unexpected end of expression, expected a condition".to_string());
        };
        if tok.tok != Tok::Ident || ["AND", "OR", "NOT"].iter().any(|kw| tok.is_keyword(kw)) {
            return Err(Self::unexpected(&tok));
        }
        let operand = Operand::from_ident(tok.text, tok.pos)?;

        let cmp = match self.advance() {
            Some(Token { tok: Tok::Cmp(cmp), .. }) => cmp,
            Some(other) => {
                return Err(format!(
                    "expected a comparator after '{}', found {} at position {}",
                    tok.text,
                    other.describe(),
                    other.pos
                ));
            }
            None => {
                return Err(format!("expected a comparator after '{}', found end of expression", tok.text));
            }
        };

        let value_tok = match self.advance() {
            Some(t) => t,
            None => {
                return Err(format!("expected a value after '{}', found end of expression", cmp.symbol()));
            }
        };
        let value = match &value_tok.tok {
            Tok::Str(s) => Value::Str(s.clone()),
            Tok::Num(n) => Value::Num(*n),
            Tok::Ident if value_tok.text.eq_ignore_ascii_case("true") => Value::Bool(true),
            Tok::Ident if value_tok.text.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => {
                return Err(format!(
                    "expected a value after '{}', found {} at position {}",
                    cmp.symbol(),
                    value_tok.describe(),
                    value_tok.pos
                ));
            }
        };

        let expected = operand.kind();
        if value.kind() != expected {
            return Err(format!(
                "operand '{operand}' requires a {} value, found {} {} at position {}",
                expected.name(),
                value.kind().name(),
                value_tok.text,
                value_tok.pos
            ));
        }
        if expected != Kind::Num && !cmp.is_equality() {
            return Err(format!(
                "comparator '{cmp}' cannot be used with a {} value for operand '{operand}'",
                expected.name()
            ));
        }
        Ok(Filter::Compare { operand, cmp, value })
    }
}

/// Appends `f` to `out`, splicing in its children if it is the same kind of
/// junction (`a AND (b AND c)` → `And[a, b, c]`).
fn push_flattened(out: &mut Vec<Filter>, f: Filter, or: bool) {
    match f {
        Filter::Or(children) if or => out.extend(children),
        Filter::And(children) if !or => out.extend(children),
        other => out.push(other),
    }
}

fn collapse(mut children: Vec<Filter>, make: fn(Vec<Filter>) -> Filter) -> Filter {
    if children.len() == 1
        && let Some(only) = children.pop()
    {
        return only;
    }
    make(children)
}

fn error(context: &str, msg: String) -> SearchError {
    SearchError(format!("Invalid {context}: {msg}"))
}

/// Parses a `FilterExpression`.
///
/// Rejects empty input, syntax errors, trailing tokens, unbalanced
/// parentheses, values of the wrong type for their operand, ordering
/// comparators on string/boolean values, and nesting beyond [`MAX_DEPTH`].
pub fn parse_filter(input: &str) -> Result<Filter, SearchError> {
    const CTX: &str = "FilterExpression";
    let tokens = tokenize(input).map_err(|m| error(CTX, m))?;
    if tokens.is_empty() {
        return Err(error(CTX, "expression is empty".to_string()));
    }
    let mut parser = Parser { tokens, next: 0 };
    let filter = parser.parse_or(0).map_err(|m| error(CTX, m))?;
    if let Some(extra) = parser.peek() {
        return Err(error(CTX, Parser::unexpected(extra)));
    }
    Ok(filter)
}

/// Parses a `SortExpression`: an operand followed by `ASC` or `DESC`.
pub fn parse_sort(input: &str) -> Result<Sort, SearchError> {
    const CTX: &str = "SortExpression";
    let tokens = tokenize(input).map_err(|m| error(CTX, m))?;
    let mut parser = Parser { tokens, next: 0 };
    let Some(first) = parser.advance() else {
        return Err(error(CTX, "expression is empty".to_string()));
    };
    if first.tok != Tok::Ident {
        return Err(error(CTX, Parser::unexpected(&first)));
    }
    let operand = Operand::from_ident(first.text, first.pos).map_err(|m| error(CTX, m))?;
    let descending = match parser.advance() {
        Some(t) if t.is_keyword("ASC") => false,
        Some(t) if t.is_keyword("DESC") => true,
        Some(t) => {
            return Err(error(
                CTX,
                format!(
                    "expected ASC or DESC after '{}', found {} at position {}",
                    first.text,
                    t.describe(),
                    t.pos
                ),
            ));
        }
        None => {
            return Err(error(CTX, format!("expected ASC or DESC after '{}'", first.text)));
        }
    };
    if let Some(extra) = parser.peek() {
        return Err(error(CTX, Parser::unexpected(extra)));
    }
    Ok(Sort { operand, descending })
}

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

/// Exact comparison of an integer field with a (possibly fractional) literal.
/// `None` only for NaN.
fn cmp_i64_f64(a: i64, b: f64) -> Option<Ordering> {
    // 2^63; every f64 in [-2^63, 2^63) truncates to a representable i64.
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if b.is_nan() {
        return None;
    }
    if b >= TWO_POW_63 {
        return Some(Ordering::Less);
    }
    if b < -TWO_POW_63 {
        return Some(Ordering::Greater);
    }
    let whole = b.trunc();
    Some(match a.cmp(&(whole as i64)) {
        Ordering::Equal => {
            // a == trunc(b); the fractional part decides.
            let frac = b - whole;
            if frac > 0.0 {
                Ordering::Less
            } else if frac < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        other => other,
    })
}

/// String comparison where the session may lack the attribute: a missing
/// value is only "not equal" to anything.
fn cmp_optional_str(field: Option<&str>, cmp: Comparator, value: &str) -> bool {
    match field {
        Some(actual) => cmp.holds(actual.cmp(value)),
        None => cmp == Comparator::Ne,
    }
}

fn eval_compare<S: SessionFields + ?Sized>(s: &S, operand: &Operand, cmp: Comparator, value: &Value) -> bool {
    // Ill-typed combinations can only come from hand-built filters (the parser
    // rejects them); they never match.
    match (operand, value) {
        (Operand::GameSessionName, Value::Str(v)) => cmp_optional_str(s.game_session_name(), cmp, v),
        (Operand::Property(key), Value::Str(v)) => cmp_optional_str(s.property(key), cmp, v),
        (Operand::GameSessionId, Value::Str(v)) => cmp.holds(s.game_session_id().cmp(v.as_str())),
        (Operand::MaximumSessions, Value::Num(n)) => {
            cmp_i64_f64(s.maximum_sessions(), *n).is_some_and(|o| cmp.holds(o))
        }
        (Operand::CreationTimeMillis, Value::Num(n)) => {
            cmp_i64_f64(s.creation_time_millis(), *n).is_some_and(|o| cmp.holds(o))
        }
        (Operand::PlayerSessionCount, Value::Num(n)) => {
            cmp_i64_f64(s.player_session_count(), *n).is_some_and(|o| cmp.holds(o))
        }
        (Operand::HasAvailablePlayerSessions, Value::Bool(b)) => {
            cmp.holds(s.has_available_player_sessions().cmp(b))
        }
        _ => false,
    }
}

impl Filter {
    /// Whether session `s` satisfies this filter. Does not allocate.
    ///
    /// String conditions on an attribute the session lacks (no name, no such
    /// property) are false, except `<>` which is true.
    pub fn matches<S: SessionFields + ?Sized>(&self, s: &S) -> bool {
        match self {
            Filter::Compare { operand, cmp, value } => eval_compare(s, operand, *cmp, value),
            Filter::Not(inner) => !inner.matches(s),
            Filter::And(children) => children.iter().all(|c| c.matches(s)),
            Filter::Or(children) => children.iter().any(|c| c.matches(s)),
        }
    }

    /// Visits the conditions every match must satisfy: this filter if it is a
    /// comparison, or the conjuncts of a top-level `AND` (recursively through
    /// nested `AND`s). Nothing under `OR` or `NOT` is visited.
    fn for_each_required<'a>(&'a self, visit: &mut impl FnMut(&'a Operand, Comparator, &'a Value)) {
        match self {
            Filter::Compare { operand, cmp, value } => visit(operand, *cmp, value),
            Filter::And(children) => {
                for child in children {
                    child.for_each_required(visit);
                }
            }
            Filter::Not(_) | Filter::Or(_) => {}
        }
    }

    /// Property equalities `gameSessionProperties.k = 'v'` that every match must satisfy
    /// (the top-level AND conjuncts, recursively through nested ANDs; none under OR/NOT).
    /// The caller uses one of them to pick candidates from an index.
    ///
    /// Returned as `(key, value)` in expression order; duplicates are kept.
    pub fn required_property_equalities(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        self.for_each_required(&mut |operand, cmp, value| {
            if let (Operand::Property(key), Comparator::Eq, Value::Str(v)) = (operand, cmp, value) {
                out.push((key.as_str(), v.as_str()));
            }
        });
        out
    }

    /// Likewise for `gameSessionId = '...'`: the first such required equality,
    /// if any.
    pub fn required_game_session_id(&self) -> Option<&str> {
        let mut found = None;
        self.for_each_required(&mut |operand, cmp, value| {
            if let (Operand::GameSessionId, Comparator::Eq, Value::Str(v), None) =
                (operand, cmp, value, found)
            {
                found = Some(v.as_str());
            }
        });
        found
    }
}

/// Orders two optional values, `None` last regardless of direction.
fn nulls_last<T: Ord>(a: Option<T>, b: Option<T>, descending: bool) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => {
            let ord = x.cmp(&y);
            if descending { ord.reverse() } else { ord }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

impl Sort {
    /// Compares two sessions by this sort's operand and direction. Sessions
    /// with no value (missing name or property) sort after all others in both
    /// directions. Strings compare byte-wise, booleans `false < true`. Ties
    /// are `Equal`; chain a tie-breaker with `then_with` if a total order is
    /// needed. Does not allocate.
    pub fn compare<S: SessionFields + ?Sized>(&self, a: &S, b: &S) -> Ordering {
        let desc = self.descending;
        match &self.operand {
            Operand::GameSessionName => nulls_last(a.game_session_name(), b.game_session_name(), desc),
            Operand::Property(key) => nulls_last(a.property(key), b.property(key), desc),
            Operand::GameSessionId => nulls_last(Some(a.game_session_id()), Some(b.game_session_id()), desc),
            Operand::MaximumSessions => {
                nulls_last(Some(a.maximum_sessions()), Some(b.maximum_sessions()), desc)
            }
            Operand::CreationTimeMillis => {
                nulls_last(Some(a.creation_time_millis()), Some(b.creation_time_millis()), desc)
            }
            Operand::PlayerSessionCount => {
                nulls_last(Some(a.player_session_count()), Some(b.player_session_count()), desc)
            }
            Operand::HasAvailablePlayerSessions => nulls_last(
                Some(a.has_available_player_sessions()),
                Some(b.has_available_player_sessions()),
                desc,
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    struct TestSession {
        name: Option<&'static str>,
        id: &'static str,
        props: Vec<(&'static str, &'static str)>,
        max: i64,
        created: i64,
        players: i64,
    }

    impl SessionFields for TestSession {
        fn game_session_name(&self) -> Option<&str> {
            self.name
        }
        fn game_session_id(&self) -> &str {
            self.id
        }
        fn property(&self, key: &str) -> Option<&str> {
            self.props.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
        }
        fn maximum_sessions(&self) -> i64 {
            self.max
        }
        fn creation_time_millis(&self) -> i64 {
            self.created
        }
        fn player_session_count(&self) -> i64 {
            self.players
        }
        fn has_available_player_sessions(&self) -> bool {
            self.players < self.max
        }
    }

    /// Sessions `a`..`d`; expected match sets below are written as strings of
    /// these letters.
    fn sessions() -> Vec<(char, TestSession)> {
        vec![
            (
                'a',
                TestSession {
                    name: Some("Matt's Awesome Game 1"),
                    id: "gsess-1",
                    props: vec![("gameMode", "brawl"), ("level", "10"), ("path", "C:\\maps")],
                    max: 10,
                    created: 1000,
                    players: 3,
                },
            ),
            (
                'b',
                TestSession {
                    name: Some("Lobby"),
                    id: "gsess-2",
                    props: vec![("gameMode", "coop"), ("level", "9")],
                    max: 4,
                    created: 2000,
                    players: 4,
                },
            ),
            (
                'c',
                TestSession { name: None, id: "gsess-3", props: vec![], max: 20, created: 3000, players: 0 },
            ),
            (
                'd',
                TestSession {
                    name: Some("lobby"),
                    id: "gsess-4",
                    props: vec![("gameMode", "brawl"), ("x-y_Z", "say \"hi\"")],
                    max: 10,
                    created: 1500,
                    players: 10,
                },
            ),
        ]
    }

    enum Expect {
        /// Parses; matches exactly these sessions.
        Matches(&'static str),
        /// Fails; the message contains this fragment.
        Error(&'static str),
    }
    use Expect::{Error, Matches};

    fn matching(filter: &Filter) -> String {
        sessions().iter().filter(|(_, s)| filter.matches(s)).map(|(c, _)| *c).collect()
    }

    #[test]
    fn filter_table() {
        let cases: Vec<(String, Expect)> = vec![
            // --- every operand, comparator and value type -------------------
            ("gameSessionName = 'Lobby'".into(), Matches("b")),
            ("gameSessionName <> 'Lobby'".into(), Matches("acd")),
            (r"gameSessionName = 'Matt\'s Awesome Game 1'".into(), Matches("a")),
            ("gameSessionName = 'lobby'".into(), Matches("d")), // case-sensitive
            ("gameSessionId = 'gsess-3'".into(), Matches("c")),
            ("gameSessionId <> 'gsess-3'".into(), Matches("abd")),
            ("gameSessionProperties.gameMode = 'brawl'".into(), Matches("ad")),
            ("gameSessionProperties.gameMode = \"brawl\"".into(), Matches("ad")),
            ("gameSessionProperties.gameMode <> 'brawl'".into(), Matches("bc")),
            ("gameSessionProperties.level = '10'".into(), Matches("a")),
            (r"gameSessionProperties.path = 'C:\\maps'".into(), Matches("a")),
            (r#"gameSessionProperties.x-y_Z = "say \"hi\"""#.into(), Matches("d")),
            (r#"gameSessionProperties.x-y_Z = 'say "hi"'"#.into(), Matches("d")),
            ("gameSessionProperties.gameMode = ''".into(), Matches("")),
            ("maximumSessions = 10".into(), Matches("ad")),
            ("maximumSessions <> 10".into(), Matches("bc")),
            ("maximumSessions < 10".into(), Matches("b")),
            ("maximumSessions > 10".into(), Matches("c")),
            ("maximumSessions <= 10".into(), Matches("abd")),
            ("maximumSessions >= 10".into(), Matches("acd")),
            ("creationTimeMillis >= 1500".into(), Matches("bcd")),
            ("creationTimeMillis < 1500.5".into(), Matches("ad")),
            ("creationTimeMillis > 1499.5".into(), Matches("bcd")),
            ("creationTimeMillis = 1000.0".into(), Matches("a")),
            ("playerSessionCount > -1".into(), Matches("abcd")),
            ("playerSessionCount=0".into(), Matches("c")),
            ("hasAvailablePlayerSessions = true".into(), Matches("ac")),
            ("hasAvailablePlayerSessions <> true".into(), Matches("bd")),
            ("hasAvailablePlayerSessions = FALSE".into(), Matches("bd")),
            // --- missing attributes -----------------------------------------
            ("gameSessionProperties.nope = 'x'".into(), Matches("")),
            ("gameSessionProperties.nope <> 'x'".into(), Matches("abcd")),
            ("gameSessionProperties.level <> '10'".into(), Matches("bcd")),
            ("gameSessionName = ''".into(), Matches("")),
            ("NOT gameSessionName = 'Lobby'".into(), Matches("acd")),
            // --- whitespace variants ----------------------------------------
            ("maximumSessions>=10 AND hasAvailablePlayerSessions=true".into(), Matches("ac")),
            ("  maximumSessions\t>=\n10  ".into(), Matches("acd")),
            ("(maximumSessions=4)OR(playerSessionCount=0)".into(), Matches("bc")),
            ("gameSessionName='Lobby'OR gameSessionId='gsess-3'".into(), Matches("bc")),
            ("NOT(maximumSessions=10)".into(), Matches("bc")),
            // --- case-insensitive keywords ----------------------------------
            ("maximumSessions = 10 and playerSessionCount < 5".into(), Matches("a")),
            ("maximumSessions = 4 oR playerSessionCount = 0".into(), Matches("bc")),
            ("not maximumSessions = 10".into(), Matches("bc")),
            ("NoT NOT maximumSessions = 10".into(), Matches("ad")),
            // --- precedence & parentheses -----------------------------------
            // X = id c, Y = max 10 (a,d), Z = players > 5 (d)
            // X OR (Y AND Z) = {c, d};  (X OR Y) AND Z = {d}
            (
                "gameSessionId = 'gsess-3' OR maximumSessions = 10 AND playerSessionCount > 5"
                    .into(),
                Matches("cd"),
            ),
            (
                "gameSessionId = 'gsess-3' OR (maximumSessions = 10 AND playerSessionCount > 5)"
                    .into(),
                Matches("cd"),
            ),
            (
                "(gameSessionId = 'gsess-3' OR maximumSessions = 10) AND playerSessionCount > 5"
                    .into(),
                Matches("d"),
            ),
            // Z AND Y OR X: AND still binds tighter when it comes first.
            (
                "playerSessionCount > 5 AND maximumSessions = 10 OR gameSessionId = 'gsess-3'"
                    .into(),
                Matches("cd"),
            ),
            // X = max 10 (a,d), Y = players < 4 (a,c)
            // (NOT X) AND Y = {c};  NOT (X AND Y) = {b,c,d}
            ("NOT maximumSessions = 10 AND playerSessionCount < 4".into(), Matches("c")),
            ("(NOT maximumSessions = 10) AND playerSessionCount < 4".into(), Matches("c")),
            ("NOT (maximumSessions = 10 AND playerSessionCount < 4)".into(), Matches("bcd")),
            ("NOT (maximumSessions = 10 OR maximumSessions = 4)".into(), Matches("c")),
            ("((((maximumSessions = 4))))".into(), Matches("b")),
            (
                "maximumSessions = 10 AND (gameSessionName = 'lobby' OR NOT hasAvailablePlayerSessions = false)".into(),
                Matches("ad"),
            ),
            (format!("{}maximumSessions = 4{}", "(".repeat(64), ")".repeat(64)), Matches("b")),
            (format!("{}maximumSessions = 4", "NOT ".repeat(64)), Matches("b")),
            // --- lexical errors ---------------------------------------------
            ("".into(), Error("Invalid FilterExpression: expression is empty")),
            ("   ".into(), Error("expression is empty")),
            (
                "gameSessionName = 'abc".into(),
                Error("Invalid FilterExpression: unterminated string starting at position 18"),
            ),
            (r"gameSessionName = 'abc\'".into(), Error("unterminated string starting at position 18")),
            (r"gameSessionName = 'abc\".into(), Error("unterminated string starting at position 18")),
            ("maximumSessions = 1.".into(), Error("invalid number '1.' at position 18")),
            ("maximumSessions = 1e3".into(), Error("invalid number '1e3' at position 18")),
            ("maximumSessions = 10AND playerSessionCount = 1".into(), Error("invalid number '10AND'")),
            ("maximumSessions = +5".into(), Error("unexpected character '+' at position 18")),
            ("maximumSessions != 5".into(), Error("unexpected character '!' at position 16")),
            (format!("maximumSessions = {}", "9".repeat(400)), Error("is out of range")),
            // --- syntax errors ----------------------------------------------
            (
                "foo = 1".into(),
                Error("Invalid FilterExpression: unknown operand 'foo' at position 0"),
            ),
            ("GameSessionName = 'x'".into(), Error("unknown operand 'GameSessionName'")),
            ("gameSessionProperties = 'x'".into(), Error("needs a property key")),
            ("gameSessionProperties. = 'x'".into(), Error("missing property key")),
            ("gameSessionProperties.a.b = 'x'".into(), Error("invalid property key 'a.b'")),
            (
                format!("gameSessionProperties.{} = 'x'", "k".repeat(33)),
                Error("invalid property key"),
            ),
            ("gameSessionName 'x'".into(), Error("expected a comparator after 'gameSessionName', found string 'x' at position 16")),
            ("gameSessionName".into(), Error("expected a comparator after 'gameSessionName', found end of expression")),
            ("gameSessionName =".into(), Error("expected a value after '=', found end of expression")),
            ("gameSessionName = Lobby".into(), Error("expected a value after '=', found token 'Lobby' at position 18")),
            ("maximumSessions = = 4".into(), Error("expected a value after '=', found token '=' at position 18")),
            ("maximumSessions = 4 AND".into(), Error("unexpected end of expression")),
            ("AND maximumSessions = 4".into(), Error("unexpected token 'AND' at position 0")),
            ("maximumSessions = 4 OR OR playerSessionCount = 1".into(), Error("unexpected token 'OR' at position 23")),
            ("NOT".into(), Error("unexpected end of expression")),
            ("4 = maximumSessions".into(), Error("unexpected token '4' at position 0")),
            // --- trailing garbage & unbalanced parens -----------------------
            (
                "(maximumSessions = 4))".into(),
                Error("Invalid FilterExpression: unexpected token ')' at position 21"),
            ),
            ("maximumSessions = 4 playerSessionCount = 1".into(), Error("unexpected token 'playerSessionCount' at position 20")),
            ("maximumSessions = 4 'x'".into(), Error("unexpected string 'x' at position 20")),
            ("(maximumSessions = 4".into(), Error("missing ')' to close '(' at position 0")),
            ("((maximumSessions = 4)".into(), Error("missing ')' to close '(' at position 0")),
            ("(maximumSessions = 4 x".into(), Error("unexpected token 'x' at position 21")),
            ("()".into(), Error("unexpected token ')' at position 1")),
            (")".into(), Error("unexpected token ')' at position 0")),
            // --- type errors ------------------------------------------------
            (
                "gameSessionName < 'x'".into(),
                Error("Invalid FilterExpression: comparator '<' cannot be used with a string value for operand 'gameSessionName'"),
            ),
            ("gameSessionId >= 'x'".into(), Error("comparator '>=' cannot be used with a string value for operand 'gameSessionId'")),
            ("gameSessionProperties.level > '5'".into(), Error("comparator '>' cannot be used with a string value for operand 'gameSessionProperties.level'")),
            ("hasAvailablePlayerSessions <= true".into(), Error("comparator '<=' cannot be used with a boolean value for operand 'hasAvailablePlayerSessions'")),
            ("gameSessionName = 5".into(), Error("operand 'gameSessionName' requires a string value, found number 5 at position 18")),
            ("gameSessionProperties.level = 10".into(), Error("requires a string value, found number")),
            ("maximumSessions = '10'".into(), Error("operand 'maximumSessions' requires a number value, found string '10' at position 18")),
            ("creationTimeMillis > true".into(), Error("requires a number value, found boolean")),
            ("playerSessionCount = \"1\"".into(), Error("requires a number value, found string")),
            ("hasAvailablePlayerSessions = 1".into(), Error("operand 'hasAvailablePlayerSessions' requires a boolean value, found number")),
            ("hasAvailablePlayerSessions = 'true'".into(), Error("requires a boolean value, found string")),
            ("gameSessionName = true".into(), Error("requires a string value, found boolean")),
            // --- depth limit ------------------------------------------------
            (
                format!("{}maximumSessions = 4{}", "(".repeat(65), ")".repeat(65)),
                Error("expression nested deeper than 64 levels at position 64"),
            ),
            (
                format!("{}maximumSessions = 4", "NOT ".repeat(65)),
                Error("expression nested deeper than 64 levels at position 256"),
            ),
            (
                format!("{}maximumSessions = 4{}", "NOT (".repeat(33), ")".repeat(33)),
                Error("expression nested deeper than 64 levels"),
            ),
            (
                format!("{}maximumSessions = 4", "(".repeat(100_000)),
                Error("expression nested deeper than 64 levels"),
            ),
        ];

        assert!(cases.len() >= 40);
        let mut failures = Vec::new();
        for (expr, expect) in &cases {
            match (parse_filter(expr), expect) {
                (Ok(f), Matches(want)) => {
                    let got = matching(&f);
                    if got != *want {
                        failures.push(format!("{expr:?}: matched {got:?}, want {want:?}"));
                    }
                    // The canonical rendering must parse back to the same tree.
                    match parse_filter(&f.to_string()) {
                        Ok(again) if again == f => {}
                        other => failures.push(format!("{expr:?}: round trip gave {other:?}")),
                    }
                }
                (Ok(f), Error(want)) => {
                    failures.push(format!("{expr:?}: parsed as {f:?}, want error {want:?}"))
                }
                (Err(e), Matches(want)) => {
                    failures.push(format!("{expr:?}: error {e}, want matches {want:?}"))
                }
                (Err(e), Error(want)) => {
                    if !e.0.starts_with("Invalid FilterExpression: ") || !e.0.contains(want) {
                        failures.push(format!("{expr:?}: error {:?}, want {want:?}", e.0));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    }

    #[test]
    fn brief_error_messages_are_exact() {
        let msg = |e: &str| parse_filter(e).unwrap_err().to_string();
        assert_eq!(
            msg("(maximumSessions = 4 ) )"),
            "Invalid FilterExpression: unexpected token ')' at position 23"
        );
        assert_eq!(
            msg("gameSessionName < 'x'"),
            "Invalid FilterExpression: comparator '<' cannot be used with a string value for operand 'gameSessionName'"
        );
        assert_eq!(msg("foo = 1"), "Invalid FilterExpression: unknown operand 'foo' at position 0");
        assert_eq!(
            msg("gameSessionName = 'oops"),
            "Invalid FilterExpression: unterminated string starting at position 18"
        );
        assert_eq!(
            parse_sort("creationTimeMillis").unwrap_err().to_string(),
            "Invalid SortExpression: expected ASC or DESC after 'creationTimeMillis'"
        );
        // Positions are character offsets, not byte offsets.
        assert_eq!(
            msg("gameSessionName = 'ünïcödé' x"),
            "Invalid FilterExpression: unexpected token 'x' at position 28"
        );
        let err: Box<dyn std::error::Error> = Box::new(SearchError("x".into()));
        assert_eq!(err.to_string(), "x");
    }

    #[test]
    fn parse_tree_shapes() {
        let cond = |operand: Operand, cmp: Comparator, value: Value| Filter::Compare { operand, cmp, value };
        let m = |n: f64| cond(Operand::MaximumSessions, Comparator::Eq, Value::Num(n));
        assert_eq!(
            parse_filter("maximumSessions = 1 OR maximumSessions = 2 AND maximumSessions = 3").unwrap(),
            Filter::Or(vec![m(1.0), Filter::And(vec![m(2.0), m(3.0)])])
        );
        assert_eq!(
            parse_filter("NOT maximumSessions = 1 AND maximumSessions = 2").unwrap(),
            Filter::And(vec![Filter::Not(Box::new(m(1.0))), m(2.0)])
        );
        // Nested junctions of the same kind are flattened.
        assert_eq!(
            parse_filter("maximumSessions = 1 AND (maximumSessions = 2 AND maximumSessions = 3)").unwrap(),
            Filter::And(vec![m(1.0), m(2.0), m(3.0)])
        );
        assert_eq!(
            parse_filter(r#"gameSessionProperties.k-1 = "a\\b\"c" AND gameSessionName <> 'it\'s'"#).unwrap(),
            Filter::And(vec![
                cond(Operand::Property("k-1".into()), Comparator::Eq, Value::Str("a\\b\"c".into())),
                cond(Operand::GameSessionName, Comparator::Ne, Value::Str("it's".into())),
            ])
        );
        assert_eq!(
            parse_filter("playerSessionCount >= -2.5").unwrap(),
            cond(Operand::PlayerSessionCount, Comparator::Ge, Value::Num(-2.5))
        );
        assert_eq!(
            parse_filter("hasAvailablePlayerSessions = True").unwrap(),
            cond(Operand::HasAvailablePlayerSessions, Comparator::Eq, Value::Bool(true))
        );
        // Display re-renders with only the parentheses precedence needs.
        let shown = |e: &str| parse_filter(e).unwrap().to_string();
        assert_eq!(
            shown("maximumSessions=1 or (maximumSessions=2 and not not maximumSessions=3)"),
            "maximumSessions = 1 OR maximumSessions = 2 AND NOT NOT maximumSessions = 3"
        );
        assert_eq!(
            shown(
                "NOT (gameSessionName='a' OR gameSessionName=\"it's\") AND (playerSessionCount<1 OR playerSessionCount>-1.5)"
            ),
            "NOT (gameSessionName = 'a' OR gameSessionName = 'it\\'s') AND (playerSessionCount < 1 OR playerSessionCount > -1.5)"
        );
    }

    #[test]
    fn exact_integer_comparison() {
        assert_eq!(cmp_i64_f64(i64::MAX, 9.3e18), Some(Ordering::Less));
        assert_eq!(cmp_i64_f64(i64::MIN, -9.3e18), Some(Ordering::Greater));
        assert_eq!(cmp_i64_f64(i64::MIN, -9_223_372_036_854_775_808.0), Some(Ordering::Equal));
        assert_eq!(cmp_i64_f64(3, 3.0), Some(Ordering::Equal));
        assert_eq!(cmp_i64_f64(3, 2.5), Some(Ordering::Greater));
        assert_eq!(cmp_i64_f64(-3, -2.5), Some(Ordering::Less));
        assert_eq!(cmp_i64_f64(-2, -2.5), Some(Ordering::Greater));
        assert_eq!(cmp_i64_f64(0, f64::NAN), None);
        // Precision beyond 2^53 is respected for integer literals.
        let big = TestSession {
            name: None,
            id: "x",
            props: vec![],
            max: 0,
            created: 9_007_199_254_740_993, // 2^53 + 1
            players: 0,
        };
        assert!(parse_filter("creationTimeMillis > 9007199254740992").unwrap().matches(&big));
    }

    #[test]
    fn hand_built_ill_typed_filters_never_match() {
        let s = &sessions()[0].1;
        let f = Filter::Compare {
            operand: Operand::MaximumSessions,
            cmp: Comparator::Ne,
            value: Value::Str("x".into()),
        };
        assert!(!f.matches(s));
        let nan = Filter::Compare {
            operand: Operand::MaximumSessions,
            cmp: Comparator::Ne,
            value: Value::Num(f64::NAN),
        };
        assert!(!nan.matches(s));
    }

    #[test]
    fn required_property_equalities() {
        let req = |e: &str| {
            parse_filter(e)
                .unwrap()
                .required_property_equalities()
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(req("gameSessionProperties.mode = 'brawl'"), ["mode=brawl"]);
        assert_eq!(
            req(
                "gameSessionProperties.mode = 'brawl' AND (maximumSessions > 1 AND gameSessionProperties.map = \"dust\")"
            ),
            ["mode=brawl", "map=dust"]
        );
        assert!(req("gameSessionProperties.mode <> 'brawl'").is_empty());
        assert!(req("gameSessionProperties.mode = 'a' OR gameSessionProperties.mode = 'b'").is_empty());
        assert!(req("NOT gameSessionProperties.mode = 'a'").is_empty());
        assert_eq!(
            req(
                "(gameSessionProperties.mode = 'a' OR maximumSessions = 1) AND gameSessionProperties.map = 'm'"
            ),
            ["map=m"]
        );
        assert!(req("maximumSessions = 1").is_empty());
        assert!(req("gameSessionName = 'x'").is_empty());
    }

    #[test]
    fn required_game_session_id() {
        let req = |e: &str| parse_filter(e).unwrap().required_game_session_id().map(str::to_owned);
        assert_eq!(req("gameSessionId = 'gs-1'").as_deref(), Some("gs-1"));
        assert_eq!(
            req("maximumSessions > 1 AND (hasAvailablePlayerSessions = true AND gameSessionId = 'gs-2') AND gameSessionId = 'gs-3'").as_deref(),
            Some("gs-2")
        );
        assert_eq!(req("gameSessionId <> 'gs-1'"), None);
        assert_eq!(req("gameSessionId = 'gs-1' OR gameSessionId = 'gs-2'"), None);
        assert_eq!(req("NOT gameSessionId = 'gs-1'"), None);
        assert_eq!(req("gameSessionProperties.gameSessionId = 'gs-1'"), None);
    }

    fn sorted(expr: &str) -> String {
        let sort = parse_sort(expr).unwrap();
        let mut all = sessions();
        all.sort_by(|(_, a), (_, b)| sort.compare(a, b));
        all.into_iter().map(|(c, _)| c).collect()
    }

    #[test]
    fn sort_each_operand_both_directions() {
        // Names: a "Matt's…", b "Lobby", c none, d "lobby" (byte order: L < M < l).
        assert_eq!(sorted("gameSessionName ASC"), "badc");
        assert_eq!(sorted("gameSessionName DESC"), "dabc");
        assert_eq!(sorted("gameSessionId ASC"), "abcd");
        assert_eq!(sorted("gameSessionId DESC"), "dcba");
        // gameMode: a brawl, b coop, c none, d brawl (stable sort keeps a before d).
        assert_eq!(sorted("gameSessionProperties.gameMode ASC"), "adbc");
        assert_eq!(sorted("gameSessionProperties.gameMode DESC"), "badc");
        // level is compared as a string: "10" < "9"; c and d lack it.
        assert_eq!(sorted("gameSessionProperties.level ASC"), "abcd");
        assert_eq!(sorted("gameSessionProperties.level DESC"), "bacd");
        assert_eq!(sorted("gameSessionProperties.missing DESC"), "abcd");
        assert_eq!(sorted("maximumSessions ASC"), "badc");
        assert_eq!(sorted("maximumSessions DESC"), "cadb");
        assert_eq!(sorted("creationTimeMillis ASC"), "adbc");
        assert_eq!(sorted("creationTimeMillis DESC"), "cbda");
        assert_eq!(sorted("playerSessionCount ASC"), "cabd");
        assert_eq!(sorted("playerSessionCount DESC"), "dbac");
        // available: a, c; full: b, d. false < true.
        assert_eq!(sorted("hasAvailablePlayerSessions ASC"), "bdac");
        assert_eq!(sorted("hasAvailablePlayerSessions DESC"), "acbd");
    }

    #[test]
    fn sort_nulls_last() {
        let sort_asc = parse_sort("gameSessionName ASC").unwrap();
        let sort_desc = parse_sort("gameSessionName DESC").unwrap();
        let all = sessions();
        let (named, unnamed) = (&all[0].1, &all[2].1);
        assert_eq!(sort_asc.compare(named, unnamed), Ordering::Less);
        assert_eq!(sort_asc.compare(unnamed, named), Ordering::Greater);
        assert_eq!(sort_desc.compare(named, unnamed), Ordering::Less);
        assert_eq!(sort_desc.compare(unnamed, named), Ordering::Greater);
        assert_eq!(sort_desc.compare(unnamed, unnamed), Ordering::Equal);
    }

    #[test]
    fn sort_parsing() {
        assert_eq!(
            parse_sort("creationTimeMillis ASC").unwrap(),
            Sort { operand: Operand::CreationTimeMillis, descending: false }
        );
        assert_eq!(
            parse_sort("  gameSessionProperties.gameMode\tdesc ").unwrap(),
            Sort { operand: Operand::Property("gameMode".into()), descending: true }
        );
        assert!(!parse_sort("playerSessionCount Asc").unwrap().descending);
        for s in ["gameSessionName DESC", "gameSessionProperties.k ASC"] {
            assert_eq!(parse_sort(s).unwrap().to_string(), s);
        }
        let err = |e: &str| parse_sort(e).unwrap_err().to_string();
        assert_eq!(err(""), "Invalid SortExpression: expression is empty");
        assert_eq!(
            err("creationTimeMillis UP"),
            "Invalid SortExpression: expected ASC or DESC after 'creationTimeMillis', found token 'UP' at position 19"
        );
        assert_eq!(
            err("creationTimeMillis ASC DESC"),
            "Invalid SortExpression: unexpected token 'DESC' at position 23"
        );
        assert_eq!(
            err("creationTimeMillis ASC, gameSessionName DESC"),
            "Invalid SortExpression: unexpected character ',' at position 22"
        );
        assert_eq!(err("foo ASC"), "Invalid SortExpression: unknown operand 'foo' at position 0");
        assert_eq!(
            err("gameSessionProperties ASC"),
            "Invalid SortExpression: operand 'gameSessionProperties' at position 0 needs a property key, e.g. 'gameSessionProperties.gameMode'"
        );
        assert_eq!(err("'x' ASC"), "Invalid SortExpression: unexpected string 'x' at position 0");
        assert_eq!(err("ASC"), "Invalid SortExpression: unknown operand 'ASC' at position 0");
    }
}
