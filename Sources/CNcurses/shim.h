#ifndef QSCOPE_CNCURSES_SHIM_H
#define QSCOPE_CNCURSES_SHIM_H
/* Wide-character curses: these must be defined before curses.h (SwiftPM drops pkg-config -D flags). */
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>

/* Swift 6 cannot import curses' mutable globals or its function-like macros: static inline accessors. */
static inline WINDOW *qs_stdscr(void) { return stdscr; }
static inline int qs_colors(void) { return COLORS; }
static inline int qs_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t qs_attr_bold(void) { return A_BOLD; }
static inline attr_t qs_attr_dim(void) { return A_DIM; }
static inline attr_t qs_attr_reverse(void) { return A_REVERSE; }
static inline attr_t qs_attr_underline(void) { return A_UNDERLINE; }
static inline attr_t qs_attr_normal(void) { return A_NORMAL; }
static inline int qs_key_resize(void) { return KEY_RESIZE; }
static inline int qs_key_code_yes(void) { return KEY_CODE_YES; }
static inline int qs_key_f(int n) { return KEY_F(n); }
static inline int qs_err(void) { return ERR; }
/* newterm on the process's own stdout/stdin (Swift 6 rejects the stdio globals). */
static inline SCREEN *qs_newterm(void) { return newterm(NULL, stdout, stdin); }

/* Writes one character cell with attributes and a colour pair (wide-character path). */
static inline int qs_put_cell(WINDOW *win, int y, int x, wchar_t ch, attr_t attrs, short pair) {
    wchar_t text[2] = { ch, 0 };
    cchar_t cell;
    if (setcchar(&cell, text, attrs, pair, NULL) != OK) return ERR;
    return mvwadd_wch(win, y, x, &cell);
}

/* wget_wch without exposing wint_t handling to Swift: returns ERR, OK or KEY_CODE_YES, and the key in *out. */
static inline int qs_get_wch(WINDOW *win, unsigned int *out) {
    wint_t key = 0;
    int r = wget_wch(win, &key);
    *out = (unsigned int)key;
    return r;
}
#endif
