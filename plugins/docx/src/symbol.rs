//! The Symbol font's code points in Unicode, for `w:sym w:font="Symbol"` and for text runs
//! set in Symbol, whose characters Word stores as private-use code points `U+F020..U+F0FF`
//! (or as their low byte).

/// Symbol-font characters 0x20..=0xFF; `\0` where the font has no glyph.
const SYMBOL: [char; 224] = [
    ' ', '!', '∀', '#', '∃', '%', '&', '∋', '(', ')', '∗', '+', ',', '−', '.', '/', // 0x20
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', // 0x30
    '≅', 'Α', 'Β', 'Χ', 'Δ', 'Ε', 'Φ', 'Γ', 'Η', 'Ι', 'ϑ', 'Κ', 'Λ', 'Μ', 'Ν', 'Ο', // 0x40
    'Π', 'Θ', 'Ρ', 'Σ', 'Τ', 'Υ', 'ς', 'Ω', 'Ξ', 'Ψ', 'Ζ', '[', '∴', ']', '⊥', '_', // 0x50
    '\u{F8E5}', 'α', 'β', 'χ', 'δ', 'ε', 'φ', 'γ', 'η', 'ι', 'ϕ', 'κ', 'λ', 'μ', 'ν',
    'ο', // 0x60
    'π', 'θ', 'ρ', 'σ', 'τ', 'υ', 'ϖ', 'ω', 'ξ', 'ψ', 'ζ', '{', '|', '}', '∼', '\0', // 0x70
    '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0',
    '\0', // 0x80
    '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0', '\0',
    '\0', // 0x90
    '€', 'ϒ', '′', '≤', '⁄', '∞', 'ƒ', '♣', '♦', '♥', '♠', '↔', '←', '↑', '→', '↓', // 0xA0
    '°', '±', '″', '≥', '×', '∝', '∂', '•', '÷', '≠', '≡', '≈', '…', '⏐', '⎯', '↵', // 0xB0
    'ℵ', 'ℑ', 'ℜ', '℘', '⊗', '⊕', '∅', '∩', '∪', '⊃', '⊇', '⊄', '⊂', '⊆', '∈', '∉', // 0xC0
    '∠', '∇', '®', '©', '™', '∏', '√', '⋅', '¬', '∧', '∨', '⇔', '⇐', '⇑', '⇒', '⇓', // 0xD0
    '◊', '〈', '®', '©', '™', '∑', '⎛', '⎜', '⎝', '⎡', '⎢', '⎣', '⎧', '⎨', '⎩', '⎪', // 0xE0
    '\0', '〉', '∫', '⌠', '⎮', '⌡', '⎞', '⎟', '⎠', '⎤', '⎥', '⎦', '⎫', '⎬', '⎭', '\0', // 0xF0
];

/// The Unicode character for a Symbol-font code (`0xDA`, or its private-use form
/// `0xF0DA`); `None` outside the font or where it has no glyph.
pub(crate) fn symbol_char(code: u32) -> Option<char> {
    let low = match code {
        0xF020..=0xF0FF => code - 0xF000,
        0x20..=0xFF => code,
        _ => return None,
    };
    let c = SYMBOL[usize::try_from(low - 0x20).ok()?];
    (c != '\0').then_some(c)
}

/// `text` with its Symbol-font private-use characters mapped to Unicode.
pub(crate) fn map_symbol_text(text: &str) -> String {
    text.chars()
        .map(|c| match u32::from(c) {
            code @ 0xF020..=0xF0FF => symbol_char(code).unwrap_or(c),
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_symbol_codes() {
        assert_eq!(symbol_char(0xDA), Some('∨'));
        assert_eq!(symbol_char(0xF0DA), Some('∨'));
        assert_eq!(symbol_char(0x61), Some('α'));
        assert_eq!(symbol_char(0x80), None);
        assert_eq!(symbol_char(0x1_0000), None);
        assert_eq!(map_symbol_text("\u{F028}x\u{F0B3}"), "(x≥");
    }
}
