// The application icon: resources/icons/faultline.svg, or the same drawing painted by hand when
// the Qt SVG image plugin is not installed.
#pragma once

#include <QIcon>

namespace faultline::ui {

[[nodiscard]] QIcon appIcon();

} // namespace faultline::ui
