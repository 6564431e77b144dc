//! html5ever tree construction behind a token filter that bounds what the tree builder
//! sees: nesting depth and attributes.
//!
//! html5ever checks "element in scope" by walking its stack of open elements, so a
//! document nesting 100,000 `div`s costs quadratic time; browsers cap the depth (Blink at
//! 512). The filter keeps its own stack of the elements that nest (not `p`, `li`, `td` and
//! the like, which their siblings close, nor void and raw-text elements) and drops start
//! tags beyond [`MAX_DEPTH`]; their text is kept, only the structure is flattened.
//! Attributes the extractor and the tree builder do not read are dropped, and so are
//! values over [`MAX_ATTR_CHARS`].

use std::cell::{Cell, RefCell};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::tree_builder::{TreeBuilder, TreeBuilderOpts};
use html5ever::{LocalName, TokenizerResult, local_name};
use markup5ever_rcdom::{Handle, RcDom};

/// Deepest nesting passed to the tree builder.
pub(crate) const MAX_DEPTH: usize = 512;
/// Longest attribute value kept.
pub(crate) const MAX_ATTR_CHARS: usize = 8192;

/// Attributes anything downstream reads; the rest are dropped before tree building.
const KEPT_ATTRS: &[&str] = &[
    "href",
    "name",
    "content",
    "http-equiv",
    "charset",
    "start",
    "type",
    "reversed",
    "value",
    "encoding",
    "color",
    "face",
    "size",
    // Read by the renderer to leave out what a browser hides.
    "hidden",
    "style",
];

pub(crate) struct Parsed {
    pub dom: RcDom,
    /// Start tags dropped for being nested too deep.
    pub dropped: u64,
}

pub(crate) fn parse(text: String) -> Parsed {
    let builder = TreeBuilder::new(RcDom::default(), TreeBuilderOpts::default());
    let tokenizer = Tokenizer::new(
        Filter {
            inner: builder,
            open: RefCell::new(Vec::new()),
            foreign: Cell::new(0),
            dropped: Cell::new(0),
        },
        TokenizerOpts::default(),
    );
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(text));
    while let TokenizerResult::Script(_) = tokenizer.feed(&input) {}
    tokenizer.end();
    let Filter { inner, dropped, .. } = tokenizer.sink;
    Parsed {
        dom: inner.sink,
        dropped: dropped.get(),
    }
}

struct Filter {
    inner: TreeBuilder<Handle, RcDom>,
    /// Names of the open elements that count towards the depth.
    open: RefCell<Vec<LocalName>>,
    /// Open `svg`/`math` elements, inside which `/>` closes an element.
    foreign: Cell<u32>,
    dropped: Cell<u64>,
}

impl TokenSink for Filter {
    type Handle = Handle;

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<Handle> {
        let token = match token {
            Token::TagToken(tag) => match self.filter(tag) {
                Some(tag) => Token::TagToken(tag),
                None => return TokenSinkResult::Continue,
            },
            other => other,
        };
        self.inner.process_token(token, line_number)
    }

    fn end(&self) {
        self.inner.end();
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.inner
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}

impl Filter {
    fn filter(&self, mut tag: Tag) -> Option<Tag> {
        let mut open = self.open.borrow_mut();
        let foreign_root = matches!(tag.name, local_name!("svg") | local_name!("math"));
        match tag.kind {
            TagKind::StartTag => {
                tag.attrs.retain(|a| {
                    KEPT_ATTRS.contains(&&*a.name.local) && a.value.len() <= MAX_ATTR_CHARS
                });
                let closes_itself = tag.self_closing && (self.foreign.get() > 0 || foreign_root);
                if nests(&tag.name) && !closes_itself {
                    if open.len() >= MAX_DEPTH {
                        self.dropped.set(self.dropped.get() + 1);
                        return None;
                    }
                    open.push(tag.name.clone());
                    if foreign_root {
                        self.foreign.set(self.foreign.get() + 1);
                    }
                }
            }
            TagKind::EndTag => {
                tag.attrs.clear();
                if let Some(at) = open.iter().rposition(|n| *n == tag.name) {
                    for name in open.drain(at..) {
                        if matches!(name, local_name!("svg") | local_name!("math")) {
                            self.foreign.set(self.foreign.get().saturating_sub(1));
                        }
                    }
                }
            }
        }
        Some(tag)
    }
}

/// Whether an element can hold a nested copy of a counted element: not void, not raw
/// text, not closed by its next sibling, not a singleton the tree builder merges.
fn nests(name: &LocalName) -> bool {
    !matches!(
        *name,
        local_name!("html")
            | local_name!("head")
            | local_name!("body")
            | local_name!("p")
            | local_name!("li")
            | local_name!("dt")
            | local_name!("dd")
            | local_name!("tr")
            | local_name!("td")
            | local_name!("th")
            | local_name!("tbody")
            | local_name!("thead")
            | local_name!("tfoot")
            | local_name!("caption")
            | local_name!("colgroup")
            | local_name!("option")
            | local_name!("optgroup")
            | local_name!("rb")
            | local_name!("rt")
            | local_name!("rp")
            | local_name!("rtc")
            | local_name!("area")
            | local_name!("base")
            | local_name!("basefont")
            | local_name!("bgsound")
            | local_name!("br")
            | local_name!("col")
            | local_name!("embed")
            | local_name!("frame")
            | local_name!("hr")
            | local_name!("image")
            | local_name!("img")
            | local_name!("input")
            | local_name!("keygen")
            | local_name!("link")
            | local_name!("meta")
            | local_name!("param")
            | local_name!("source")
            | local_name!("track")
            | local_name!("wbr")
            | local_name!("script")
            | local_name!("style")
            | local_name!("textarea")
            | local_name!("title")
            | local_name!("xmp")
            | local_name!("iframe")
            | local_name!("noembed")
            | local_name!("noframes")
            | local_name!("noscript")
            | local_name!("plaintext")
    )
}
