#pragma once
// IAM's wildcard match, which key policies and session policies share.
#include <string_view>

namespace plumbline {

// '*' matches any run of characters, '?' one character; `fold_case`: ASCII
// case-insensitive (actions), else exact (resources).
bool WildcardMatch(std::string_view pattern, std::string_view text, bool fold_case);

}  // namespace plumbline
