// Thin shim over ncursesw: wide-character API enabled, macros and globals exposed as functions.
#ifndef VMSNAP_CURSES_SHIM_H
#define VMSNAP_CURSES_SHIM_H
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>

static inline WINDOW *vmsnap_stdscr(void) { return stdscr; }
static inline FILE *vmsnap_stdin(void) { return stdin; }
static inline FILE *vmsnap_stdout(void) { return stdout; }
static inline int vmsnap_lines(void) { return LINES; }
static inline int vmsnap_cols(void) { return COLS; }
static inline int vmsnap_colors(void) { return COLORS; }
static inline int vmsnap_getmaxy(WINDOW *w) { return getmaxy(w); }
static inline int vmsnap_getmaxx(WINDOW *w) { return getmaxx(w); }
static inline attr_t vmsnap_a_normal(void) { return A_NORMAL; }
static inline attr_t vmsnap_a_bold(void) { return A_BOLD; }
static inline attr_t vmsnap_a_dim(void) { return A_DIM; }
static inline attr_t vmsnap_a_reverse(void) { return A_REVERSE; }
static inline attr_t vmsnap_a_underline(void) { return A_UNDERLINE; }
static inline int vmsnap_key_resize(void) { return KEY_RESIZE; }
static inline int vmsnap_err(void) { return ERR; }
static inline int vmsnap_key_code_yes(void) { return KEY_CODE_YES; }
static inline int vmsnap_wcwidth(wchar_t c) { return wcwidth(c); }
/// Puts one character cell (a base character plus combining marks, up to CCHARW_MAX) at (y, x).
static inline int vmsnap_put_cell(WINDOW *w, int y, int x, const wchar_t *chars, int n, attr_t attrs, short pair) {
    cchar_t c;
    wchar_t buffer[CCHARW_MAX + 1];
    int count = n < CCHARW_MAX ? n : CCHARW_MAX;
    for (int i = 0; i < count; i++) { buffer[i] = chars[i]; }
    buffer[count] = 0;
    setcchar(&c, buffer, attrs, pair, NULL);
    return mvwadd_wch(w, y, x, &c);
}
/// Puts a wide string with attributes and colour pair at (y, x) of the window.
static inline int vmsnap_put_wide(WINDOW *w, int y, int x, const wchar_t *text, int n, attr_t attrs, short pair) {
    cchar_t c;
    int written = 0;
    for (int i = 0; i < n; i++) {
        wchar_t one[2] = {text[i], 0};
        setcchar(&c, one, attrs, pair, NULL);
        if (mvwadd_wch(w, y, x + written, &c) == ERR) { return ERR; }
        int width = wcwidth(text[i]);
        written += width > 0 ? width : 1;
    }
    return OK;
}
#endif
