//! The tree to text, walked iteratively (an explicit stack, so no depth can overflow
//! ours): blocks on their own lines, table rows as lines of tab-separated cells, list
//! items with bullets or numbers, headings recorded with their offsets, links collected.
//! `head` (but for `<title>` and `<meta>`), scripts, styles, `noscript`, `template`,
//! form choices (`select`), inline SVG/MathML, and elements hidden by a `hidden`
//! attribute or an inline `display: none` / `visibility: hidden` style are dropped.

use html5ever::{LocalName, local_name};
use markup5ever_rcdom::{Handle, NodeData};

use conductor_plugin_sdk::extractor::Metadata;

/// Links kept at most; a page listing more is a link farm, not an agenda.
const MAX_LINKS: usize = 100_000;

pub(crate) struct Rendered {
    pub text: String,
    /// Headings as (level, title, char offset).
    pub headings: Vec<(u32, String, usize)>,
    pub links: Vec<String>,
    pub metadata: Metadata,
    /// The text was cut at the character limit.
    pub truncated: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Break {
    None,
    Space,
    Tab,
    Line,
    Blank,
}

/// Text with collapsed whitespace and breaks that are written only when text follows.
struct Writer {
    out: String,
    chars: usize,
    limit: usize,
    full: bool,
    pending: Break,
    /// Open table cells: breaks inside them become spaces.
    cells: usize,
    /// Indentation written after a line break (nested lists).
    indent: usize,
}

impl Writer {
    fn request(&mut self, b: Break) {
        let b = if self.cells > 0 && b > Break::Tab {
            Break::Space
        } else {
            b
        };
        self.pending = self.pending.max(b);
    }

    fn flush(&mut self) {
        if self.out.is_empty() {
            self.pending = Break::None;
            return;
        }
        let at_line_start = self.out.ends_with('\n');
        let s = match self.pending {
            Break::None => "",
            Break::Space if at_line_start || self.out.ends_with('\t') => "",
            Break::Space => " ",
            Break::Tab => "\t",
            Break::Line if at_line_start => "",
            Break::Line => "\n",
            Break::Blank if self.out.ends_with("\n\n") => "",
            Break::Blank if at_line_start => "\n",
            Break::Blank => "\n\n",
        };
        self.pending = Break::None;
        self.raw(s);
        if self.out.ends_with('\n') && self.indent > 1 {
            // Top-level lists start at the margin; nested ones are indented, up to a point.
            let indent = " ".repeat((self.indent - 1).min(20) * 2);
            self.raw(&indent);
        }
    }

    fn raw(&mut self, s: &str) {
        if self.full {
            return;
        }
        for c in s.chars() {
            if self.chars >= self.limit {
                self.full = true;
                return;
            }
            self.out.push(c);
            self.chars += 1;
        }
    }

    /// Writes `s` with its whitespace (including no-break spaces) collapsed; returns where
    /// its first character went (chars, bytes), if anything was written.
    fn text(&mut self, s: &str) -> Option<(usize, usize)> {
        if s.starts_with(char::is_whitespace) {
            self.request(Break::Space);
        }
        let mut first = None;
        for (i, word) in s
            .split(char::is_whitespace)
            .filter(|w| !w.is_empty())
            .enumerate()
        {
            if i > 0 {
                self.request(Break::Space);
            }
            self.flush();
            if i == 0 && !self.full {
                first = Some((self.chars, self.out.len()));
            }
            self.raw(word);
        }
        if s.ends_with(char::is_whitespace) {
            self.request(Break::Space);
        }
        first
    }

    /// Writes preformatted text as it is (the tokenizer has normalised line endings).
    fn pre(&mut self, s: &str) -> Option<(usize, usize)> {
        if s.trim().is_empty() {
            self.raw(s);
            return None;
        }
        self.flush();
        let lead = s.len() - s.trim_start().len();
        let first = (!self.full).then(|| {
            (
                self.chars + s[..lead].chars().count(),
                self.out.len() + lead,
            )
        });
        self.raw(s);
        first
    }
}

enum Step {
    Enter(Handle),
    Exit,
}

/// Per-element state that outlives its start: what to do at its end.
enum Open {
    Heading {
        level: u32,
        /// Where its first character went: (chars, bytes).
        start: Option<(usize, usize)>,
    },
    List {
        ordered: bool,
        next: i64,
    },
    Row {
        cells: usize,
    },
    Cell,
    Pre,
    Link,
    Plain(Break),
}

pub(crate) fn render(document: &Handle, limit: usize) -> Rendered {
    let mut w = Writer {
        out: String::new(),
        chars: 0,
        limit,
        full: false,
        pending: Break::None,
        cells: 0,
        indent: 0,
    };
    let mut headings = Vec::new();
    let mut links = Vec::new();
    let mut metadata = Metadata {
        page_count: 1,
        ..Metadata::default()
    };
    let mut open: Vec<Open> = Vec::new();
    let mut pre = 0usize;
    let mut stack = vec![Step::Enter(document.clone())];
    while let Some(step) = stack.pop() {
        if w.full {
            break;
        }
        match step {
            Step::Enter(node) => match &node.data {
                NodeData::Document => push_children(&mut stack, &node),
                NodeData::Text { contents } => {
                    let contents = contents.borrow();
                    let first = if pre > 0 {
                        w.pre(&contents)
                    } else {
                        w.text(&contents)
                    };
                    if let Some(Open::Heading { start, .. }) = open
                        .iter_mut()
                        .rev()
                        .find(|o| matches!(o, Open::Heading { .. }))
                        && start.is_none()
                    {
                        *start = first;
                    }
                }
                NodeData::Element { name, attrs, .. } => {
                    let local = &name.local;
                    if name.ns != html5ever::ns!(html) {
                        continue; // SVG and MathML: icons and formulas, not agenda text.
                    }
                    if skipped(local) {
                        if *local == local_name!("head") {
                            read_head(&node, &mut metadata);
                        }
                        continue;
                    }
                    let attr = |n: &str| {
                        attrs
                            .borrow()
                            .iter()
                            .find(|a| &*a.name.local == n)
                            .map(|a| a.value.to_string())
                    };
                    // What a browser would not show is not reading text either: portals
                    // hide sort keys (Granicus' epoch timestamps) and templates this way.
                    if attr("hidden").is_some() || attr("style").is_some_and(|s| hides(&s)) {
                        continue;
                    }
                    let state = match *local {
                        local_name!("title") => {
                            if metadata.title.is_none() {
                                metadata.title = collapsed(&text_of(&node));
                            }
                            continue;
                        }
                        local_name!("meta") => {
                            read_meta(&node, &mut metadata);
                            continue;
                        }
                        local_name!("br") => {
                            w.request(Break::Line);
                            continue;
                        }
                        local_name!("hr") => {
                            w.request(Break::Blank);
                            continue;
                        }
                        local_name!("img") | local_name!("input") => {
                            w.request(Break::Space);
                            continue;
                        }
                        local_name!("h1")
                        | local_name!("h2")
                        | local_name!("h3")
                        | local_name!("h4")
                        | local_name!("h5")
                        | local_name!("h6") => {
                            w.request(Break::Blank);
                            let level = u32::from(local.as_bytes()[1] - b'0');
                            Open::Heading { level, start: None }
                        }
                        local_name!("ul") | local_name!("ol") | local_name!("menu") => {
                            w.request(if w.indent == 0 {
                                Break::Blank
                            } else {
                                Break::Line
                            });
                            let ordered = *local == local_name!("ol");
                            let next = attr("start")
                                .and_then(|s| s.trim().parse().ok())
                                .unwrap_or(1);
                            w.indent += 1;
                            Open::List { ordered, next }
                        }
                        local_name!("li") => {
                            w.request(Break::Line);
                            let marker = match open
                                .iter_mut()
                                .rev()
                                .find(|o| matches!(o, Open::List { .. }))
                            {
                                Some(Open::List {
                                    ordered: true,
                                    next,
                                }) => {
                                    let n = attr("value")
                                        .and_then(|s| s.trim().parse().ok())
                                        .unwrap_or(*next);
                                    *next = n.saturating_add(1);
                                    format!("{n}.")
                                }
                                _ => "•".to_string(),
                            };
                            w.flush();
                            w.raw(&marker);
                            w.request(Break::Space);
                            Open::Plain(Break::Line)
                        }
                        local_name!("table") => {
                            w.request(Break::Blank);
                            Open::Plain(Break::Blank)
                        }
                        local_name!("tr") => {
                            w.request(Break::Line);
                            Open::Row { cells: 0 }
                        }
                        local_name!("td") | local_name!("th") => {
                            if let Some(Open::Row { cells }) = open
                                .iter_mut()
                                .rev()
                                .find(|o| matches!(o, Open::Row { .. }))
                            {
                                if *cells > 0 {
                                    w.request(Break::Tab);
                                }
                                *cells += 1;
                            }
                            w.cells += 1;
                            Open::Cell
                        }
                        local_name!("pre") | local_name!("listing") | local_name!("textarea") => {
                            w.request(Break::Blank);
                            pre += 1;
                            Open::Pre
                        }
                        local_name!("a") => {
                            if let Some(href) = attr("href") {
                                let href = href.trim();
                                if !href.is_empty()
                                    && !href.to_ascii_lowercase().starts_with("javascript:")
                                    && links.len() < MAX_LINKS
                                {
                                    links.push(href.to_string());
                                }
                            }
                            Open::Link
                        }
                        ref other => match block(other) {
                            Some(b) => {
                                w.request(b);
                                Open::Plain(b)
                            }
                            None => Open::Plain(Break::None),
                        },
                    };
                    open.push(state);
                    stack.push(Step::Exit);
                    push_children(&mut stack, &node);
                }
                _ => {}
            },
            Step::Exit => match open.pop() {
                Some(Open::Heading { level, start }) => {
                    if let Some((chars, bytes)) = start
                        && let Some(title) = w.out.get(bytes..).and_then(collapsed)
                    {
                        headings.push((level, title, chars));
                    }
                    w.request(Break::Blank);
                }
                Some(Open::List { .. }) => {
                    w.indent = w.indent.saturating_sub(1);
                    w.request(if w.indent == 0 {
                        Break::Blank
                    } else {
                        Break::Line
                    });
                }
                Some(Open::Row { .. }) => w.request(Break::Line),
                Some(Open::Cell) => {
                    w.cells = w.cells.saturating_sub(1);
                }
                Some(Open::Pre) => {
                    pre = pre.saturating_sub(1);
                    w.request(Break::Blank);
                }
                Some(Open::Plain(b)) => w.request(b),
                Some(Open::Link) | None => {}
            },
        }
    }
    Rendered {
        truncated: w.full,
        text: w.out,
        headings,
        links,
        metadata,
    }
}

fn push_children(stack: &mut Vec<Step>, node: &Handle) {
    stack.extend(
        node.children
            .borrow()
            .iter()
            .rev()
            .map(|c| Step::Enter(c.clone())),
    );
}

/// Whether an inline `style` hides the element (`display: none`, `visibility: hidden`).
fn hides(style: &str) -> bool {
    let compact: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    compact.contains("display:none") || compact.contains("visibility:hidden")
}

/// Elements whose content is not document text.
fn skipped(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("head")
            | local_name!("script")
            | local_name!("style")
            | local_name!("noscript")
            | local_name!("template")
            | local_name!("select")
            | local_name!("datalist")
            | local_name!("iframe")
            | local_name!("object")
            | local_name!("embed")
            | local_name!("noembed")
            | local_name!("noframes")
            | local_name!("link")
            | local_name!("base")
    )
}

/// The break around a block element, `None` for inline ones.
fn block(name: &LocalName) -> Option<Break> {
    Some(match *name {
        local_name!("p")
        | local_name!("blockquote")
        | local_name!("dl")
        | local_name!("figure")
        | local_name!("fieldset")
        | local_name!("address")
        | local_name!("details") => Break::Blank,
        local_name!("div")
        | local_name!("section")
        | local_name!("article")
        | local_name!("header")
        | local_name!("footer")
        | local_name!("main")
        | local_name!("nav")
        | local_name!("aside")
        | local_name!("center")
        | local_name!("form")
        | local_name!("figcaption")
        | local_name!("summary")
        | local_name!("caption")
        | local_name!("dt")
        | local_name!("dd")
        | local_name!("legend")
        | local_name!("hgroup")
        | local_name!("body")
        | local_name!("html")
        | local_name!("thead")
        | local_name!("tbody")
        | local_name!("tfoot")
        | local_name!("option")
        | local_name!("frameset")
        | local_name!("label") => Break::Line,
        _ => return None,
    })
}

/// `<title>` and `<meta>` in `head`, without descending into anything else.
fn read_head(head: &Handle, metadata: &mut Metadata) {
    for child in head.children.borrow().iter() {
        if let NodeData::Element { name, .. } = &child.data {
            match name.local {
                local_name!("title") if metadata.title.is_none() => {
                    metadata.title = collapsed(&text_of(child));
                }
                local_name!("meta") => read_meta(child, metadata),
                _ => {}
            }
        }
    }
}

fn read_meta(meta: &Handle, metadata: &mut Metadata) {
    let NodeData::Element { attrs, .. } = &meta.data else {
        return;
    };
    let attrs = attrs.borrow();
    let get = |n: &str| attrs.iter().find(|a| &*a.name.local == n).map(|a| &a.value);
    let (Some(name), Some(content)) = (get("name"), get("content")) else {
        return;
    };
    let slot = match name.trim().to_ascii_lowercase().as_str() {
        "author" => &mut metadata.author,
        "description" => &mut metadata.subject,
        "generator" => &mut metadata.creator,
        _ => return,
    };
    if slot.is_none() {
        *slot = collapsed(content);
    }
}

/// The text directly inside an element (`title` holds only text).
fn text_of(node: &Handle) -> String {
    let mut s = String::new();
    for child in node.children.borrow().iter() {
        if let NodeData::Text { contents } = &child.data {
            s.push_str(&contents.borrow());
        }
    }
    s
}

/// `s` with whitespace runs as single spaces, `None` when nothing is left.
pub(crate) fn collapsed(s: &str) -> Option<String> {
    let joined = s
        .split(char::is_whitespace)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!joined.is_empty()).then_some(joined)
}
