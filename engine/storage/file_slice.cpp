#include "engine/storage/file_slice.h"

#include "engine/storage/file_util.h"

#include <unistd.h>

namespace faultline::storage {

FileHandle::~FileHandle() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

bool FileSlice::copyTo(std::uint8_t* out) const {
    return detail::preadAll(m_file->fd(), std::span<std::uint8_t>(out, m_size), m_position,
                            m_file->path())
        .has_value();
}

} // namespace faultline::storage
