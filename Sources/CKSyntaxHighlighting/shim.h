// KDE's KSyntaxHighlighting is C++ (Qt 5); this module only carries its compiler and linker flags
// (pkg-config Qt5Gui, -lKF5SyntaxHighlighting) to CSyntaxHighlighter, the C++ file that wraps it
// behind a C function. Swift never imports the C++ headers.
#include <KF5/KSyntaxHighlighting/ksyntaxhighlighting_version.h>
