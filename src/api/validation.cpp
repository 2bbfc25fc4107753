#include "api/validation.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <deque>
#include <memory>
#include <stdexcept>
#include <vector>

namespace plumbline::api {

// ===========================================================================
// Unicode: UTF-8 decoding and major general categories, without ICU.
// ===========================================================================
namespace {

struct CatRange {
  char32_t lo, hi;
  char cat;
};

// Sorted, non-overlapping ranges of non-ASCII code points. Gaps are 'C'
// (unassigned). Blocks marked "approx" give the whole block the category of
// its bulk (usually letters), so that rarely used marks, digits or signs in
// them may be misclassified; unassigned points inside listed ranges count as
// their neighbours. Written by hand from the Unicode block charts.
// clang-format off
constexpr CatRange kCategories[] = {
    {0x0080, 0x009F, 'C'}, {0x00A0, 0x00A0, 'Z'}, {0x00A1, 0x00A1, 'P'}, {0x00A2, 0x00A6, 'S'},
    {0x00A7, 0x00A7, 'P'}, {0x00A8, 0x00A9, 'S'}, {0x00AA, 0x00AA, 'L'}, {0x00AB, 0x00AB, 'P'},
    {0x00AC, 0x00AC, 'S'}, {0x00AD, 0x00AD, 'C'}, {0x00AE, 0x00B1, 'S'}, {0x00B2, 0x00B3, 'N'},
    {0x00B4, 0x00B4, 'S'}, {0x00B5, 0x00B5, 'L'}, {0x00B6, 0x00B7, 'P'}, {0x00B8, 0x00B8, 'S'},
    {0x00B9, 0x00B9, 'N'}, {0x00BA, 0x00BA, 'L'}, {0x00BB, 0x00BB, 'P'}, {0x00BC, 0x00BE, 'N'},
    {0x00BF, 0x00BF, 'P'}, {0x00C0, 0x00D6, 'L'}, {0x00D7, 0x00D7, 'S'}, {0x00D8, 0x00F6, 'L'},
    {0x00F7, 0x00F7, 'S'}, {0x00F8, 0x02C1, 'L'}, {0x02C2, 0x02C5, 'S'}, {0x02C6, 0x02D1, 'L'},
    {0x02D2, 0x02DF, 'S'}, {0x02E0, 0x02E4, 'L'}, {0x02E5, 0x02EB, 'S'}, {0x02EC, 0x02EC, 'L'},
    {0x02ED, 0x02ED, 'S'}, {0x02EE, 0x02EE, 'L'}, {0x02EF, 0x02FF, 'S'}, {0x0300, 0x036F, 'M'},
    // Greek and Coptic
    {0x0370, 0x0374, 'L'}, {0x0375, 0x0375, 'S'}, {0x0376, 0x0377, 'L'}, {0x037A, 0x037D, 'L'},
    {0x037E, 0x037E, 'P'}, {0x037F, 0x037F, 'L'}, {0x0384, 0x0385, 'S'}, {0x0386, 0x0386, 'L'},
    {0x0387, 0x0387, 'P'}, {0x0388, 0x038A, 'L'}, {0x038C, 0x038C, 'L'}, {0x038E, 0x03A1, 'L'},
    {0x03A3, 0x03F5, 'L'}, {0x03F6, 0x03F6, 'S'}, {0x03F7, 0x0481, 'L'},
    // Cyrillic, Armenian, Hebrew
    {0x0482, 0x0482, 'S'}, {0x0483, 0x0489, 'M'}, {0x048A, 0x052F, 'L'}, {0x0531, 0x0556, 'L'},
    {0x0559, 0x0559, 'L'}, {0x055A, 0x055F, 'P'}, {0x0560, 0x0588, 'L'}, {0x0589, 0x058A, 'P'},
    {0x058D, 0x058F, 'S'}, {0x0591, 0x05BD, 'M'}, {0x05BE, 0x05BE, 'P'}, {0x05BF, 0x05BF, 'M'},
    {0x05C0, 0x05C0, 'P'}, {0x05C1, 0x05C2, 'M'}, {0x05C3, 0x05C3, 'P'}, {0x05C4, 0x05C5, 'M'},
    {0x05C6, 0x05C6, 'P'}, {0x05C7, 0x05C7, 'M'}, {0x05D0, 0x05EA, 'L'}, {0x05EF, 0x05F2, 'L'},
    {0x05F3, 0x05F4, 'P'},
    // Arabic
    {0x0600, 0x0605, 'C'}, {0x0606, 0x0608, 'S'}, {0x0609, 0x060A, 'P'}, {0x060B, 0x060B, 'S'},
    {0x060C, 0x060D, 'P'}, {0x060E, 0x060F, 'S'}, {0x0610, 0x061A, 'M'}, {0x061B, 0x061B, 'P'},
    {0x061C, 0x061C, 'C'}, {0x061D, 0x061F, 'P'}, {0x0620, 0x064A, 'L'}, {0x064B, 0x065F, 'M'},
    {0x0660, 0x0669, 'N'}, {0x066A, 0x066D, 'P'}, {0x066E, 0x066F, 'L'}, {0x0670, 0x0670, 'M'},
    {0x0671, 0x06D3, 'L'}, {0x06D4, 0x06D4, 'P'}, {0x06D5, 0x06D5, 'L'}, {0x06D6, 0x06DC, 'M'},
    {0x06DD, 0x06DD, 'C'}, {0x06DE, 0x06DE, 'S'}, {0x06DF, 0x06E4, 'M'}, {0x06E5, 0x06E6, 'L'},
    {0x06E7, 0x06E8, 'M'}, {0x06E9, 0x06E9, 'S'}, {0x06EA, 0x06ED, 'M'}, {0x06EE, 0x06EF, 'L'},
    {0x06F0, 0x06F9, 'N'}, {0x06FA, 0x06FC, 'L'}, {0x06FD, 0x06FE, 'S'}, {0x06FF, 0x06FF, 'L'},
    // Syriac, Thaana, NKo, Samaritan, Mandaic, Arabic Extended (approx)
    {0x0700, 0x070D, 'P'}, {0x070F, 0x070F, 'C'}, {0x0710, 0x0710, 'L'}, {0x0711, 0x0711, 'M'},
    {0x0712, 0x072F, 'L'}, {0x0730, 0x074A, 'M'}, {0x074D, 0x07A5, 'L'}, {0x07A6, 0x07B0, 'M'},
    {0x07B1, 0x07B1, 'L'}, {0x07C0, 0x07C9, 'N'}, {0x07CA, 0x07EA, 'L'}, {0x07EB, 0x07F3, 'M'},
    {0x07F4, 0x07F5, 'L'}, {0x07F6, 0x07F6, 'S'}, {0x07F7, 0x07F9, 'P'}, {0x07FA, 0x07FA, 'L'},
    {0x0800, 0x0815, 'L'}, {0x0816, 0x082D, 'M'}, {0x0830, 0x083E, 'P'}, {0x0840, 0x0858, 'L'},
    {0x0859, 0x085B, 'M'}, {0x085E, 0x085E, 'P'}, {0x0860, 0x08C9, 'L'}, {0x08CA, 0x08FF, 'M'},
    // Devanagari
    {0x0900, 0x0903, 'M'}, {0x0904, 0x0939, 'L'}, {0x093A, 0x093C, 'M'}, {0x093D, 0x093D, 'L'},
    {0x093E, 0x094F, 'M'}, {0x0950, 0x0950, 'L'}, {0x0951, 0x0957, 'M'}, {0x0958, 0x0961, 'L'},
    {0x0962, 0x0963, 'M'}, {0x0964, 0x0965, 'P'}, {0x0966, 0x096F, 'N'}, {0x0970, 0x0970, 'P'},
    {0x0971, 0x097F, 'L'},
    // 0x0980-0x0D7F: Bengali..Malayalam, see IndicCategory().
    // Sinhala
    {0x0D81, 0x0D83, 'M'}, {0x0D85, 0x0DC6, 'L'}, {0x0DCA, 0x0DDF, 'M'}, {0x0DE6, 0x0DEF, 'N'},
    {0x0DF2, 0x0DF3, 'M'}, {0x0DF4, 0x0DF4, 'P'},
    // Thai, Lao
    {0x0E01, 0x0E30, 'L'}, {0x0E31, 0x0E31, 'M'}, {0x0E32, 0x0E33, 'L'}, {0x0E34, 0x0E3A, 'M'},
    {0x0E3F, 0x0E3F, 'S'}, {0x0E40, 0x0E46, 'L'}, {0x0E47, 0x0E4E, 'M'}, {0x0E4F, 0x0E4F, 'P'},
    {0x0E50, 0x0E59, 'N'}, {0x0E5A, 0x0E5B, 'P'}, {0x0E81, 0x0EB0, 'L'}, {0x0EB1, 0x0EB1, 'M'},
    {0x0EB2, 0x0EB3, 'L'}, {0x0EB4, 0x0EBC, 'M'}, {0x0EBD, 0x0EC6, 'L'}, {0x0EC8, 0x0ECE, 'M'},
    {0x0ED0, 0x0ED9, 'N'}, {0x0EDC, 0x0EDF, 'L'},
    // Tibetan (approx)
    {0x0F00, 0x0F00, 'L'}, {0x0F01, 0x0F03, 'S'}, {0x0F04, 0x0F12, 'P'}, {0x0F13, 0x0F17, 'S'},
    {0x0F18, 0x0F19, 'M'}, {0x0F1A, 0x0F1F, 'S'}, {0x0F20, 0x0F33, 'N'}, {0x0F34, 0x0F39, 'S'},
    {0x0F3A, 0x0F3D, 'P'}, {0x0F3E, 0x0F3F, 'M'}, {0x0F40, 0x0F6C, 'L'}, {0x0F71, 0x0F87, 'M'},
    {0x0F88, 0x0F8C, 'L'}, {0x0F8D, 0x0FBC, 'M'}, {0x0FBE, 0x0FCF, 'S'}, {0x0FD0, 0x0FDA, 'P'},
    // Myanmar
    {0x1000, 0x102A, 'L'}, {0x102B, 0x103E, 'M'}, {0x103F, 0x103F, 'L'}, {0x1040, 0x1049, 'N'},
    {0x104A, 0x104F, 'P'}, {0x1050, 0x1055, 'L'}, {0x1056, 0x1059, 'M'}, {0x105A, 0x105D, 'L'},
    {0x105E, 0x1060, 'M'}, {0x1061, 0x1061, 'L'}, {0x1062, 0x1064, 'M'}, {0x1065, 0x1066, 'L'},
    {0x1067, 0x106D, 'M'}, {0x106E, 0x1070, 'L'}, {0x1071, 0x1074, 'M'}, {0x1075, 0x1081, 'L'},
    {0x1082, 0x108D, 'M'}, {0x108E, 0x108E, 'L'}, {0x108F, 0x108F, 'M'}, {0x1090, 0x1099, 'N'},
    {0x109A, 0x109D, 'M'}, {0x109E, 0x109F, 'S'},
    // Georgian, Hangul Jamo, Ethiopic, Cherokee, Canadian syllabics, Ogham, Runic
    {0x10A0, 0x10FA, 'L'}, {0x10FB, 0x10FB, 'P'}, {0x10FC, 0x10FF, 'L'}, {0x1100, 0x135A, 'L'},
    {0x135D, 0x135F, 'M'}, {0x1360, 0x1368, 'P'}, {0x1369, 0x137C, 'N'}, {0x1380, 0x138F, 'L'},
    {0x1390, 0x1399, 'S'}, {0x13A0, 0x13FD, 'L'}, {0x1400, 0x1400, 'P'}, {0x1401, 0x166C, 'L'},
    {0x166D, 0x166D, 'S'}, {0x166E, 0x166E, 'P'}, {0x166F, 0x167F, 'L'}, {0x1680, 0x1680, 'Z'},
    {0x1681, 0x169A, 'L'}, {0x169B, 0x169C, 'P'}, {0x16A0, 0x16EA, 'L'}, {0x16EB, 0x16ED, 'P'},
    {0x16EE, 0x16F0, 'N'}, {0x16F1, 0x16F8, 'L'},
    // Philippine scripts, Khmer, Mongolian (approx)
    {0x1700, 0x1711, 'L'}, {0x1712, 0x1715, 'M'}, {0x171F, 0x1731, 'L'}, {0x1732, 0x1734, 'M'},
    {0x1735, 0x1736, 'P'}, {0x1740, 0x1751, 'L'}, {0x1752, 0x1753, 'M'}, {0x1760, 0x1770, 'L'},
    {0x1772, 0x1773, 'M'}, {0x1780, 0x17B3, 'L'}, {0x17B4, 0x17D3, 'M'}, {0x17D4, 0x17D6, 'P'},
    {0x17D7, 0x17D7, 'L'}, {0x17D8, 0x17DA, 'P'}, {0x17DB, 0x17DB, 'S'}, {0x17DC, 0x17DC, 'L'},
    {0x17DD, 0x17DD, 'M'}, {0x17E0, 0x17E9, 'N'}, {0x17F0, 0x17F9, 'N'}, {0x1800, 0x180A, 'P'},
    {0x180B, 0x180D, 'M'}, {0x180E, 0x180E, 'C'}, {0x180F, 0x180F, 'M'}, {0x1810, 0x1819, 'N'},
    {0x1820, 0x1884, 'L'}, {0x1885, 0x1886, 'M'}, {0x1887, 0x18A8, 'L'}, {0x18A9, 0x18A9, 'M'},
    {0x18AA, 0x18F5, 'L'},
    // 0x1900-0x1CFF: smaller South-East Asian scripts (approx)
    {0x1900, 0x191E, 'L'}, {0x1920, 0x193B, 'M'}, {0x1940, 0x1940, 'S'}, {0x1944, 0x1945, 'P'},
    {0x1946, 0x194F, 'N'}, {0x1950, 0x19CF, 'L'}, {0x19D0, 0x19DA, 'N'}, {0x19DE, 0x19FF, 'S'},
    {0x1A00, 0x1A16, 'L'}, {0x1A17, 0x1A1B, 'M'}, {0x1A1E, 0x1A1F, 'P'}, {0x1A20, 0x1A54, 'L'},
    {0x1A55, 0x1A7F, 'M'}, {0x1A80, 0x1A99, 'N'}, {0x1AA0, 0x1AAD, 'P'}, {0x1AB0, 0x1AFF, 'M'},
    {0x1B00, 0x1B04, 'M'}, {0x1B05, 0x1B33, 'L'}, {0x1B34, 0x1B44, 'M'}, {0x1B45, 0x1B4C, 'L'},
    {0x1B50, 0x1B59, 'N'}, {0x1B5A, 0x1B60, 'P'}, {0x1B61, 0x1B6A, 'S'}, {0x1B6B, 0x1B73, 'M'},
    {0x1B74, 0x1B7C, 'S'}, {0x1B7D, 0x1B7E, 'P'}, {0x1B80, 0x1B82, 'M'}, {0x1B83, 0x1BA0, 'L'},
    {0x1BA1, 0x1BAD, 'M'}, {0x1BAE, 0x1BAF, 'L'}, {0x1BB0, 0x1BB9, 'N'}, {0x1BBA, 0x1BE5, 'L'},
    {0x1BE6, 0x1BF3, 'M'}, {0x1BFC, 0x1BFF, 'P'}, {0x1C00, 0x1C23, 'L'}, {0x1C24, 0x1C37, 'M'},
    {0x1C3B, 0x1C3F, 'P'}, {0x1C40, 0x1C49, 'N'}, {0x1C4D, 0x1C4F, 'L'}, {0x1C50, 0x1C59, 'N'},
    {0x1C5A, 0x1C7D, 'L'}, {0x1C7E, 0x1C7F, 'P'}, {0x1C80, 0x1C88, 'L'}, {0x1C90, 0x1CBF, 'L'},
    {0x1CC0, 0x1CC7, 'P'}, {0x1CD0, 0x1CD2, 'M'}, {0x1CD3, 0x1CD3, 'P'}, {0x1CD4, 0x1CE8, 'M'},
    {0x1CE9, 0x1CEC, 'L'}, {0x1CED, 0x1CED, 'M'}, {0x1CEE, 0x1CF3, 'L'}, {0x1CF4, 0x1CF4, 'M'},
    {0x1CF5, 0x1CF6, 'L'}, {0x1CF7, 0x1CF9, 'M'}, {0x1CFA, 0x1CFA, 'L'},
    // Phonetic extensions, combining marks, Latin Extended Additional, Greek Extended
    {0x1D00, 0x1DBF, 'L'}, {0x1DC0, 0x1DFF, 'M'}, {0x1E00, 0x1FBC, 'L'}, {0x1FBD, 0x1FBD, 'S'},
    {0x1FBE, 0x1FBE, 'L'}, {0x1FBF, 0x1FC1, 'S'}, {0x1FC2, 0x1FCC, 'L'}, {0x1FCD, 0x1FCF, 'S'},
    {0x1FD0, 0x1FDB, 'L'}, {0x1FDD, 0x1FDF, 'S'}, {0x1FE0, 0x1FEC, 'L'}, {0x1FED, 0x1FEF, 'S'},
    {0x1FF2, 0x1FFC, 'L'}, {0x1FFD, 0x1FFE, 'S'},
    // General Punctuation, super/subscripts, currency, combining marks for symbols
    {0x2000, 0x200A, 'Z'}, {0x200B, 0x200F, 'C'}, {0x2010, 0x2027, 'P'}, {0x2028, 0x2029, 'Z'},
    {0x202A, 0x202E, 'C'}, {0x202F, 0x202F, 'Z'}, {0x2030, 0x2043, 'P'}, {0x2044, 0x2044, 'S'},
    {0x2045, 0x2051, 'P'}, {0x2052, 0x2052, 'S'}, {0x2053, 0x205E, 'P'}, {0x205F, 0x205F, 'Z'},
    {0x2060, 0x206F, 'C'}, {0x2070, 0x2070, 'N'}, {0x2071, 0x2071, 'L'}, {0x2074, 0x2079, 'N'},
    {0x207A, 0x207C, 'S'}, {0x207D, 0x207E, 'P'}, {0x207F, 0x207F, 'L'}, {0x2080, 0x2089, 'N'},
    {0x208A, 0x208C, 'S'}, {0x208D, 0x208E, 'P'}, {0x2090, 0x209C, 'L'}, {0x20A0, 0x20C0, 'S'},
    {0x20D0, 0x20F0, 'M'},
    // Letterlike symbols
    {0x2100, 0x2101, 'S'}, {0x2102, 0x2102, 'L'}, {0x2103, 0x2106, 'S'}, {0x2107, 0x2107, 'L'},
    {0x2108, 0x2109, 'S'}, {0x210A, 0x2113, 'L'}, {0x2114, 0x2114, 'S'}, {0x2115, 0x2115, 'L'},
    {0x2116, 0x2118, 'S'}, {0x2119, 0x211D, 'L'}, {0x211E, 0x2123, 'S'}, {0x2124, 0x2124, 'L'},
    {0x2125, 0x2125, 'S'}, {0x2126, 0x2126, 'L'}, {0x2127, 0x2127, 'S'}, {0x2128, 0x2128, 'L'},
    {0x2129, 0x2129, 'S'}, {0x212A, 0x212D, 'L'}, {0x212E, 0x212E, 'S'}, {0x212F, 0x2139, 'L'},
    {0x213A, 0x213B, 'S'}, {0x213C, 0x213F, 'L'}, {0x2140, 0x2144, 'S'}, {0x2145, 0x2149, 'L'},
    {0x214A, 0x214D, 'S'}, {0x214E, 0x214E, 'L'}, {0x214F, 0x214F, 'S'},
    // Number forms, arrows, maths, technical, enclosed, box drawing, dingbats
    {0x2150, 0x2182, 'N'}, {0x2183, 0x2184, 'L'}, {0x2185, 0x2189, 'N'}, {0x218A, 0x218B, 'S'},
    {0x2190, 0x2307, 'S'}, {0x2308, 0x230B, 'P'}, {0x230C, 0x2328, 'S'}, {0x2329, 0x232A, 'P'},
    {0x232B, 0x2426, 'S'}, {0x2440, 0x244A, 'S'}, {0x2460, 0x249B, 'N'}, {0x249C, 0x24E9, 'S'},
    {0x24EA, 0x24FF, 'N'}, {0x2500, 0x2767, 'S'}, {0x2768, 0x2775, 'P'}, {0x2776, 0x2793, 'N'},
    {0x2794, 0x27C4, 'S'}, {0x27C5, 0x27C6, 'P'}, {0x27C7, 0x27E5, 'S'}, {0x27E6, 0x27EF, 'P'},
    {0x27F0, 0x2982, 'S'}, {0x2983, 0x2998, 'P'}, {0x2999, 0x29D7, 'S'}, {0x29D8, 0x29DB, 'P'},
    {0x29DC, 0x29FB, 'S'}, {0x29FC, 0x29FD, 'P'}, {0x29FE, 0x2B73, 'S'}, {0x2B76, 0x2B95, 'S'},
    {0x2B97, 0x2BFF, 'S'},
    // Glagolitic, Latin Extended-C, Coptic, Georgian suppl., Tifinagh, Ethiopic ext.
    {0x2C00, 0x2CE4, 'L'}, {0x2CE5, 0x2CEA, 'S'}, {0x2CEB, 0x2CEE, 'L'}, {0x2CEF, 0x2CF1, 'M'},
    {0x2CF2, 0x2CF3, 'L'}, {0x2CF9, 0x2CFC, 'P'}, {0x2CFD, 0x2CFD, 'N'}, {0x2CFE, 0x2CFF, 'P'},
    {0x2D00, 0x2D25, 'L'}, {0x2D27, 0x2D27, 'L'}, {0x2D2D, 0x2D2D, 'L'}, {0x2D30, 0x2D67, 'L'},
    {0x2D6F, 0x2D6F, 'L'}, {0x2D70, 0x2D70, 'P'}, {0x2D7F, 0x2D7F, 'M'}, {0x2D80, 0x2DDE, 'L'},
    {0x2DE0, 0x2DFF, 'M'}, {0x2E00, 0x2E2E, 'P'}, {0x2E2F, 0x2E2F, 'L'}, {0x2E30, 0x2E4F, 'P'},
    {0x2E50, 0x2E51, 'S'}, {0x2E52, 0x2E5D, 'P'}, {0x2E80, 0x2FFF, 'S'},
    // CJK symbols and punctuation, kana, bopomofo, enclosed CJK, ideographs
    {0x3000, 0x3000, 'Z'}, {0x3001, 0x3003, 'P'}, {0x3004, 0x3004, 'S'}, {0x3005, 0x3006, 'L'},
    {0x3007, 0x3007, 'N'}, {0x3008, 0x3011, 'P'}, {0x3012, 0x3013, 'S'}, {0x3014, 0x301F, 'P'},
    {0x3020, 0x3020, 'S'}, {0x3021, 0x3029, 'N'}, {0x302A, 0x302F, 'M'}, {0x3030, 0x3030, 'P'},
    {0x3031, 0x3035, 'L'}, {0x3036, 0x3037, 'S'}, {0x3038, 0x303A, 'N'}, {0x303B, 0x303C, 'L'},
    {0x303D, 0x303D, 'P'}, {0x303E, 0x303F, 'S'}, {0x3041, 0x3096, 'L'}, {0x3099, 0x309A, 'M'},
    {0x309B, 0x309C, 'S'}, {0x309D, 0x309F, 'L'}, {0x30A0, 0x30A0, 'P'}, {0x30A1, 0x30FA, 'L'},
    {0x30FB, 0x30FB, 'P'}, {0x30FC, 0x30FF, 'L'}, {0x3105, 0x312F, 'L'}, {0x3131, 0x318E, 'L'},
    {0x3190, 0x3191, 'S'}, {0x3192, 0x3195, 'N'}, {0x3196, 0x319F, 'S'}, {0x31A0, 0x31BF, 'L'},
    {0x31C0, 0x31E3, 'S'}, {0x31F0, 0x31FF, 'L'}, {0x3200, 0x321E, 'S'}, {0x3220, 0x3229, 'N'},
    {0x322A, 0x3247, 'S'}, {0x3248, 0x324F, 'N'}, {0x3250, 0x3250, 'S'}, {0x3251, 0x325F, 'N'},
    {0x3260, 0x327F, 'S'}, {0x3280, 0x3289, 'N'}, {0x328A, 0x32B0, 'S'}, {0x32B1, 0x32BF, 'N'},
    {0x32C0, 0x33FF, 'S'}, {0x3400, 0x4DBF, 'L'}, {0x4DC0, 0x4DFF, 'S'}, {0x4E00, 0x9FFF, 'L'},
    // Yi, Lisu, Vai, Cyrillic Ext-B, Bamum, modifier tone letters, Latin Ext-D
    {0xA000, 0xA48C, 'L'}, {0xA490, 0xA4C6, 'S'}, {0xA4D0, 0xA4FD, 'L'}, {0xA4FE, 0xA4FF, 'P'},
    {0xA500, 0xA60C, 'L'}, {0xA60D, 0xA60F, 'P'}, {0xA610, 0xA61F, 'L'}, {0xA620, 0xA629, 'N'},
    {0xA62A, 0xA62B, 'L'}, {0xA640, 0xA66E, 'L'}, {0xA66F, 0xA672, 'M'}, {0xA673, 0xA673, 'P'},
    {0xA674, 0xA67D, 'M'}, {0xA67E, 0xA67E, 'P'}, {0xA67F, 0xA69D, 'L'}, {0xA69E, 0xA69F, 'M'},
    {0xA6A0, 0xA6EF, 'L'}, {0xA6F0, 0xA6F1, 'M'}, {0xA6F2, 0xA6F7, 'P'}, {0xA700, 0xA716, 'S'},
    {0xA717, 0xA71F, 'L'}, {0xA720, 0xA721, 'S'}, {0xA722, 0xA788, 'L'}, {0xA789, 0xA78A, 'S'},
    {0xA78B, 0xA7FF, 'L'},
    // 0xA800-0xABFF: more Indic and South-East Asian scripts (approx)
    {0xA800, 0xA82C, 'L'}, {0xA830, 0xA839, 'N'}, {0xA840, 0xA873, 'L'}, {0xA874, 0xA877, 'P'},
    {0xA880, 0xA8C5, 'L'}, {0xA8CE, 0xA8CF, 'P'}, {0xA8D0, 0xA8D9, 'N'}, {0xA8E0, 0xA8FF, 'L'},
    {0xA900, 0xA909, 'N'}, {0xA90A, 0xA92D, 'L'}, {0xA92E, 0xA92F, 'P'}, {0xA930, 0xA95E, 'L'},
    {0xA95F, 0xA95F, 'P'}, {0xA960, 0xA9CD, 'L'}, {0xA9D0, 0xA9D9, 'N'}, {0xA9DE, 0xA9DF, 'P'},
    {0xA9E0, 0xA9FE, 'L'}, {0xAA00, 0xAA4D, 'L'}, {0xAA50, 0xAA59, 'N'}, {0xAA5C, 0xAA5F, 'P'},
    {0xAA60, 0xAADD, 'L'}, {0xAADE, 0xAADF, 'P'}, {0xAAE0, 0xAAF6, 'L'}, {0xAB01, 0xAB5A, 'L'},
    {0xAB5B, 0xAB5B, 'S'}, {0xAB5C, 0xAB69, 'L'}, {0xAB6A, 0xAB6B, 'S'}, {0xAB70, 0xABE2, 'L'},
    {0xABE3, 0xABEA, 'M'}, {0xABEB, 0xABEB, 'P'}, {0xABEC, 0xABED, 'M'}, {0xABF0, 0xABF9, 'N'},
    // Hangul syllables, surrogates, private use, compatibility ideographs
    {0xAC00, 0xD7A3, 'L'}, {0xD7B0, 0xD7C6, 'L'}, {0xD7CB, 0xD7FB, 'L'}, {0xD800, 0xF8FF, 'C'},
    {0xF900, 0xFAFF, 'L'},
    // Alphabetic presentation forms, Arabic presentation forms
    {0xFB00, 0xFB06, 'L'}, {0xFB13, 0xFB17, 'L'}, {0xFB1D, 0xFB1D, 'L'}, {0xFB1E, 0xFB1E, 'M'},
    {0xFB1F, 0xFB28, 'L'}, {0xFB29, 0xFB29, 'S'}, {0xFB2A, 0xFBB1, 'L'}, {0xFBB2, 0xFBC2, 'S'},
    {0xFBD3, 0xFD3D, 'L'}, {0xFD3E, 0xFD3F, 'P'}, {0xFD40, 0xFD4F, 'S'}, {0xFD50, 0xFDC7, 'L'},
    {0xFDCF, 0xFDCF, 'S'}, {0xFDF0, 0xFDFB, 'L'}, {0xFDFC, 0xFDFF, 'S'},
    // Variation selectors, vertical forms, half marks, CJK compatibility forms, small forms
    {0xFE00, 0xFE0F, 'M'}, {0xFE10, 0xFE19, 'P'}, {0xFE20, 0xFE2F, 'M'}, {0xFE30, 0xFE52, 'P'},
    {0xFE54, 0xFE61, 'P'}, {0xFE62, 0xFE62, 'S'}, {0xFE63, 0xFE63, 'P'}, {0xFE64, 0xFE66, 'S'},
    {0xFE68, 0xFE68, 'P'}, {0xFE69, 0xFE69, 'S'}, {0xFE6A, 0xFE6B, 'P'}, {0xFE70, 0xFE74, 'L'},
    {0xFE76, 0xFEFC, 'L'}, {0xFEFF, 0xFEFF, 'C'},
    // 0xFF01-0xFF5E: fullwidth ASCII, see UnicodeMajorCategory().
    {0xFF5F, 0xFF65, 'P'}, {0xFF66, 0xFFBE, 'L'}, {0xFFC2, 0xFFDC, 'L'}, {0xFFE0, 0xFFE6, 'S'},
    {0xFFE8, 0xFFEE, 'S'}, {0xFFF9, 0xFFFB, 'C'}, {0xFFFC, 0xFFFD, 'S'},
    // Supplementary planes (approx): historic scripts as letters, symbols, emoji
    {0x10000, 0x100FA, 'L'}, {0x10100, 0x10102, 'P'}, {0x10107, 0x10133, 'N'},
    {0x10137, 0x1013F, 'S'}, {0x10140, 0x1018E, 'N'}, {0x10190, 0x101FC, 'S'},
    {0x10280, 0x16FFF, 'L'}, {0x17000, 0x18CD5, 'L'}, {0x1B000, 0x1B2FB, 'L'},
    {0x1BC00, 0x1BC99, 'L'}, {0x1CF50, 0x1CFC3, 'S'}, {0x1D000, 0x1D164, 'S'},
    {0x1D165, 0x1D169, 'M'}, {0x1D16A, 0x1D16C, 'S'}, {0x1D16D, 0x1D172, 'M'},
    {0x1D173, 0x1D17A, 'C'}, {0x1D17B, 0x1D182, 'M'}, {0x1D183, 0x1D184, 'S'},
    {0x1D185, 0x1D18B, 'M'}, {0x1D18C, 0x1D1A9, 'S'}, {0x1D1AA, 0x1D1AD, 'M'},
    {0x1D1AE, 0x1D24F, 'S'}, {0x1D2E0, 0x1D2F3, 'N'}, {0x1D300, 0x1D356, 'S'},
    {0x1D360, 0x1D378, 'N'}, {0x1D400, 0x1D6C0, 'L'}, {0x1D6C1, 0x1D6C1, 'S'},
    {0x1D6C2, 0x1D6DA, 'L'}, {0x1D6DB, 0x1D6DB, 'S'}, {0x1D6DC, 0x1D6FA, 'L'},
    {0x1D6FB, 0x1D6FB, 'S'}, {0x1D6FC, 0x1D714, 'L'}, {0x1D715, 0x1D715, 'S'},
    {0x1D716, 0x1D734, 'L'}, {0x1D735, 0x1D735, 'S'}, {0x1D736, 0x1D74E, 'L'},
    {0x1D74F, 0x1D74F, 'S'}, {0x1D750, 0x1D76E, 'L'}, {0x1D76F, 0x1D76F, 'S'},
    {0x1D770, 0x1D788, 'L'}, {0x1D789, 0x1D789, 'S'}, {0x1D78A, 0x1D7A8, 'L'},
    {0x1D7A9, 0x1D7A9, 'S'}, {0x1D7AA, 0x1D7C2, 'L'}, {0x1D7C3, 0x1D7C3, 'S'},
    {0x1D7C4, 0x1D7CB, 'L'}, {0x1D7CE, 0x1D7FF, 'N'}, {0x1E800, 0x1E8C4, 'L'},
    {0x1E8C7, 0x1E8CF, 'N'}, {0x1E8D0, 0x1E8D6, 'M'}, {0x1E900, 0x1E943, 'L'},
    {0x1E944, 0x1E94A, 'M'}, {0x1E94B, 0x1E94B, 'L'}, {0x1E950, 0x1E959, 'N'},
    {0x1E95E, 0x1E95F, 'P'}, {0x1EE00, 0x1EEBB, 'L'}, {0x1EEF0, 0x1EEF1, 'S'},
    {0x1F000, 0x1F0F5, 'S'}, {0x1F100, 0x1F10C, 'N'}, {0x1F10D, 0x1F1FF, 'S'},
    {0x1F200, 0x1F2FF, 'S'}, {0x1F300, 0x1FAFF, 'S'}, {0x1FB00, 0x1FBCA, 'S'},
    {0x1FBF0, 0x1FBF9, 'N'}, {0x20000, 0x323AF, 'L'}, {0xE0001, 0xE0001, 'C'},
    {0xE0020, 0xE007F, 'C'}, {0xE0100, 0xE01EF, 'M'},
};
// clang-format on

// Bengali, Gurmukhi, Gujarati, Oriya, Tamil, Telugu, Kannada, Malayalam share
// Devanagari's (ISCII) layout: signs, letters, vowel signs, digits at fixed
// offsets in their 128-point block (approx for the rare symbols at 0x70+).
char IndicCategory(char32_t cp) {
  const unsigned o = cp & 0x7F;
  if (o < 0x04) return o == 0 ? 'L' : 'M';
  if (o < 0x3A) return 'L';
  if (o < 0x3D) return 'M';
  if (o == 0x3D) return 'L';
  if (o < 0x50) return 'M';
  if (o == 0x50) return 'L';
  if (o < 0x58) return 'M';
  if (o < 0x62) return 'L';
  if (o < 0x64) return 'M';
  if (o < 0x66) return 'P';
  if (o < 0x70) return 'N';
  return 'L';
}

char AsciiCategory(char32_t cp) {
  if (cp < 0x20 || cp == 0x7F) return 'C';
  if (cp == ' ') return 'Z';
  if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return 'L';
  if (cp >= '0' && cp <= '9') return 'N';
  switch (cp) {
    case '$':
    case '+':
    case '<':
    case '=':
    case '>':
    case '^':
    case '`':
    case '|':
    case '~':
      return 'S';
    default:
      return 'P';
  }
}

// Decodes UTF-8 to code points. Malformed sequences (which Boost.JSON's
// parser already rejects) become U+FFFD, one per offending byte.
std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    bool ok = len > 0 && i + len <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok && (cp < kMin[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)) ok = false;
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

// Java's String.length(): UTF-16 code units.
size_t Utf16Length(std::string_view s) {
  size_t n = 0;
  for (char32_t cp : DecodeUtf8(s)) n += cp >= 0x10000 ? 2 : 1;
  return n;
}

}  // namespace

namespace detail {
char UnicodeMajorCategory(char32_t cp) {
  if (cp < 0x80) return AsciiCategory(cp);
  if (cp >= 0x0980 && cp < 0x0D80) return IndicCategory(cp);
  if (cp >= 0xFF01 && cp <= 0xFF5E) return AsciiCategory(cp - 0xFEE0);
  const CatRange* end = std::end(kCategories);
  const CatRange* it = std::upper_bound(std::begin(kCategories), end, cp,
                                        [](char32_t v, const CatRange& r) { return v < r.lo; });
  if (it == std::begin(kCategories)) return 'C';
  --it;
  return cp <= it->hi ? it->cat : 'C';
}
}  // namespace detail

// ===========================================================================
// A small Java-syntax regex engine: parse to a Thompson NFA, simulate it over
// code points (Pike VM without captures). Linear in the input, no recursion
// on the input, so hostile values cannot blow the stack or the CPU.
// ===========================================================================
namespace {

// One alternative inside a character class: ranges and/or categories,
// possibly negated (for \S and friends inside a class).
struct ClassAtom {
  std::vector<std::pair<char32_t, char32_t>> ranges;
  std::string categories;  // major categories, e.g. "LMN"
  bool negated = false;
  bool Matches(char32_t cp) const {
    bool hit = false;
    for (const auto& [lo, hi] : ranges)
      if (cp >= lo && cp <= hi) hit = true;
    if (!hit && !categories.empty())
      hit = categories.find(detail::UnicodeMajorCategory(cp)) != std::string::npos;
    return hit != negated;
  }
};

struct CharClass {
  std::vector<ClassAtom> atoms;
  bool negated = false;
  bool Matches(char32_t cp) const {
    bool hit =
        std::any_of(atoms.begin(), atoms.end(), [cp](const ClassAtom& a) { return a.Matches(cp); });
    return hit != negated;
  }
};

struct Node {
  enum Type { kClass, kConcat, kAlt, kRepeat, kBegin, kEnd } type = kConcat;
  int cls = -1;            // kClass: index into Regex::classes_
  std::vector<Node> kids;  // kConcat/kAlt: parts; kRepeat: one child
  int min = 0, max = 0;    // kRepeat; max < 0 means unbounded
};

class Regex {
 public:
  explicit Regex(std::string_view pattern) : pattern_(DecodeUtf8(pattern)) {
    Node root = ParseAlt();
    if (pos_ != pattern_.size()) Fail("unbalanced ')'");
    Emit(root);
    prog_.push_back({kMatch, 0, 0});
  }

  bool FullMatch(std::string_view utf8) const {
    const std::u32string text = DecodeUtf8(utf8);
    std::vector<int> mark(prog_.size(), -1);
    std::vector<int> cur, next;
    int gen = 0;
    AddThread(cur, mark, gen, 0, 0, text.size());
    for (size_t i = 0; i < text.size() && !cur.empty(); ++i) {
      ++gen;
      next.clear();
      for (int pc : cur) {
        const Inst& in = prog_[pc];
        if (in.op == kChar && classes_[in.x].Matches(text[i]))
          AddThread(next, mark, gen, pc + 1, i + 1, text.size());
      }
      std::swap(cur, next);
    }
    return std::any_of(cur.begin(), cur.end(), [this](int pc) { return prog_[pc].op == kMatch; });
  }

 private:
  enum Op { kChar, kSplit, kJmp, kAssertBegin, kAssertEnd, kMatch };
  struct Inst {
    Op op;
    int x, y;
  };

  [[noreturn]] void Fail(const char* why) const {
    throw std::invalid_argument(std::string("unsupported regex: ") + why);
  }
  bool AtEnd() const { return pos_ >= pattern_.size(); }
  char32_t Peek() const { return pattern_[pos_]; }

  // --- parser --------------------------------------------------------------
  Node ParseAlt() {
    Node alt{Node::kAlt};
    alt.kids.push_back(ParseConcat());
    while (!AtEnd() && Peek() == '|') {
      ++pos_;
      alt.kids.push_back(ParseConcat());
    }
    return alt.kids.size() == 1 ? std::move(alt.kids[0]) : alt;
  }

  Node ParseConcat() {
    Node cat{Node::kConcat};
    while (!AtEnd() && Peek() != '|' && Peek() != ')') cat.kids.push_back(ParseRepeat());
    return cat;
  }

  int ParseInt() {
    int v = 0;
    bool any = false;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9') {
      v = v * 10 + static_cast<int>(Peek() - '0');
      ++pos_;
      any = true;
    }
    if (!any) Fail("bad {n,m}");
    return v;
  }

  Node ParseRepeat() {
    Node atom = ParseAtom();
    while (!AtEnd()) {
      int min, max;
      char32_t c = Peek();
      if (c == '*')
        min = 0, max = -1;
      else if (c == '+')
        min = 1, max = -1;
      else if (c == '?')
        min = 0, max = 1;
      else if (c == '{') {
        ++pos_;
        min = max = ParseInt();
        if (!AtEnd() && Peek() == ',') {
          ++pos_;
          max = (!AtEnd() && Peek() == '}') ? -1 : ParseInt();
        }
        if (AtEnd() || Peek() != '}') Fail("bad {n,m}");
      } else {
        break;
      }
      ++pos_;
      // Lazy quantifiers accept the same strings as greedy ones.
      if (!AtEnd() && Peek() == '?') ++pos_;
      Node rep{Node::kRepeat};
      rep.min = min;
      rep.max = max;
      rep.kids.push_back(std::move(atom));
      atom = std::move(rep);
    }
    return atom;
  }

  Node ClassNode(CharClass c) {
    classes_.push_back(std::move(c));
    Node n{Node::kClass};
    n.cls = static_cast<int>(classes_.size() - 1);
    return n;
  }

  static ClassAtom Range(char32_t lo, char32_t hi) {
    ClassAtom a;
    a.ranges.emplace_back(lo, hi);
    return a;
  }

  char32_t ParseHex4() {
    char32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      if (AtEnd()) Fail("bad \\u");
      char32_t c = Peek();
      int d = (c >= '0' && c <= '9')   ? int(c - '0')
              : (c >= 'a' && c <= 'f') ? int(c - 'a' + 10)
              : (c >= 'A' && c <= 'F') ? int(c - 'A' + 10)
                                       : -1;
      if (d < 0) Fail("bad \\u");
      v = v * 16 + static_cast<char32_t>(d);
      ++pos_;
    }
    return v;
  }

  // After a backslash: a class escape (\d \p{L} ...) or a single code point.
  // Returns true and fills `atom` for a class escape, else sets `literal`.
  bool ParseEscape(ClassAtom* atom, char32_t* literal) {
    if (AtEnd()) Fail("trailing backslash");
    char32_t c = Peek();
    ++pos_;
    switch (c) {
      case 'd':
        *atom = Range('0', '9');
        return true;
      case 'D':
        *atom = Range('0', '9');
        atom->negated = true;
        return true;
      case 'w':
      case 'W':
        *atom = Range('a', 'z');
        atom->ranges.emplace_back('A', 'Z');
        atom->ranges.emplace_back('0', '9');
        atom->ranges.emplace_back('_', '_');
        atom->negated = c == 'W';
        return true;
      case 's':
      case 'S':
        *atom = Range('\t', '\r');  // \t \n \x0B \f \r
        atom->ranges.emplace_back(' ', ' ');
        atom->negated = c == 'S';
        return true;
      case 'p':
      case 'P': {
        if (AtEnd() || Peek() != '{') Fail("\\p without braces");
        ++pos_;
        std::string name;
        while (!AtEnd() && Peek() != '}') name.push_back(static_cast<char>(Peek())), ++pos_;
        if (AtEnd()) Fail("unterminated \\p{");
        ++pos_;
        if (name.size() != 1 || std::string_view("LMNPSZC").find(name[0]) == std::string::npos)
          Fail("only major categories \\p{L} \\p{M} \\p{N} \\p{P} \\p{S} \\p{Z} \\p{C}");
        *atom = ClassAtom{};
        atom->categories = name;
        atom->negated = c == 'P';
        return true;
      }
      case 't':
        *literal = '\t';
        return false;
      case 'n':
        *literal = '\n';
        return false;
      case 'r':
        *literal = '\r';
        return false;
      case 'f':
        *literal = '\f';
        return false;
      case 'u':
        *literal = ParseHex4();
        return false;
      default:
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
          Fail("unknown escape");
        *literal = c;  // escaped punctuation
        return false;
    }
  }

  CharClass ParseClass() {  // after '['
    CharClass cls;
    if (!AtEnd() && Peek() == '^') cls.negated = true, ++pos_;
    bool first = true;
    while (true) {
      if (AtEnd()) Fail("unterminated [");
      char32_t c = Peek();
      if (c == ']' && !first) {
        ++pos_;
        return cls;
      }
      first = false;
      char32_t lo;
      ++pos_;
      if (c == '[') Fail("nested classes");
      if (c == '\\') {
        ClassAtom atom;
        if (ParseEscape(&atom, &lo)) {
          cls.atoms.push_back(std::move(atom));
          continue;
        }
      } else {
        lo = c;
      }
      // A range "lo-hi", unless '-' is last in the class.
      if (pos_ + 1 < pattern_.size() && Peek() == '-' && pattern_[pos_ + 1] != ']') {
        ++pos_;
        char32_t hi = Peek();
        ++pos_;
        if (hi == '\\') {
          ClassAtom atom;
          if (ParseEscape(&atom, &hi)) Fail("class escape as range end");
        }
        if (hi < lo) Fail("reversed range");
        cls.atoms.push_back(Range(lo, hi));
      } else {
        cls.atoms.push_back(Range(lo, lo));
      }
    }
  }

  Node ParseAtom() {
    char32_t c = Peek();
    ++pos_;
    switch (c) {
      case '(': {
        // Non-capturing groups behave the same for matching.
        if (pos_ + 1 < pattern_.size() && Peek() == '?' && pattern_[pos_ + 1] == ':') pos_ += 2;
        Node inner = ParseAlt();
        if (AtEnd() || Peek() != ')') Fail("unbalanced '('");
        ++pos_;
        return inner;
      }
      case '[':
        return ClassNode(ParseClass());
      case '.': {
        // Java's '.' excludes line terminators unless DOTALL.
        CharClass dot;
        dot.negated = true;
        ClassAtom terms = Range('\n', '\n');
        terms.ranges.emplace_back('\r', '\r');
        terms.ranges.emplace_back(0x85, 0x85);
        terms.ranges.emplace_back(0x2028, 0x2029);
        dot.atoms.push_back(std::move(terms));
        return ClassNode(std::move(dot));
      }
      case '^':
        return Node{Node::kBegin};
      case '$':
        return Node{Node::kEnd};
      case '*':
      case '+':
      case '?':
      case '{':
      case ')':
      case '|':
        Fail("misplaced operator");
      case '\\': {
        ClassAtom atom;
        char32_t lit;
        CharClass cls;
        if (ParseEscape(&atom, &lit))
          cls.atoms.push_back(std::move(atom));
        else
          cls.atoms.push_back(Range(lit, lit));
        return ClassNode(std::move(cls));
      }
      default: {
        CharClass cls;
        cls.atoms.push_back(Range(c, c));
        return ClassNode(std::move(cls));
      }
    }
  }

  // --- compiler -------------------------------------------------------------
  int Pc() const { return static_cast<int>(prog_.size()); }

  void Emit(const Node& n) {
    switch (n.type) {
      case Node::kClass:
        prog_.push_back({kChar, n.cls, 0});
        break;
      case Node::kBegin:
        prog_.push_back({kAssertBegin, 0, 0});
        break;
      case Node::kEnd:
        prog_.push_back({kAssertEnd, 0, 0});
        break;
      case Node::kConcat:
        for (const Node& k : n.kids) Emit(k);
        break;
      case Node::kAlt: {
        std::vector<int> jumps;
        for (size_t i = 0; i < n.kids.size(); ++i) {
          if (i + 1 < n.kids.size()) {
            int split = Pc();
            prog_.push_back({kSplit, split + 1, 0});
            Emit(n.kids[i]);
            jumps.push_back(Pc());
            prog_.push_back({kJmp, 0, 0});
            prog_[split].y = Pc();
          } else {
            Emit(n.kids[i]);
          }
        }
        for (int j : jumps) prog_[j].x = Pc();
        break;
      }
      case Node::kRepeat: {
        const Node& body = n.kids[0];
        for (int i = 0; i < n.min; ++i) Emit(body);
        if (n.max < 0) {
          int loop = Pc();
          prog_.push_back({kSplit, loop + 1, 0});
          Emit(body);
          prog_.push_back({kJmp, loop, 0});
          prog_[loop].y = Pc();
        } else {
          std::vector<int> splits;
          for (int i = n.min; i < n.max; ++i) {
            splits.push_back(Pc());
            prog_.push_back({kSplit, Pc() + 1, 0});
            Emit(body);
          }
          for (int s : splits) prog_[s].y = Pc();
        }
        break;
      }
    }
  }

  // Follows jumps, splits and assertions from `pc` at text position `pos`,
  // adding the character-consuming and match instructions reached.
  void AddThread(std::vector<int>& list, std::vector<int>& mark, int gen, int pc, size_t pos,
                 size_t len) const {
    if (mark[pc] == gen) return;
    mark[pc] = gen;
    const Inst& in = prog_[pc];
    switch (in.op) {
      case kJmp:
        AddThread(list, mark, gen, in.x, pos, len);
        break;
      case kSplit:
        AddThread(list, mark, gen, in.x, pos, len);
        AddThread(list, mark, gen, in.y, pos, len);
        break;
      case kAssertBegin:
        if (pos == 0) AddThread(list, mark, gen, pc + 1, pos, len);
        break;
      case kAssertEnd:
        if (pos == len) AddThread(list, mark, gen, pc + 1, pos, len);
        break;
      default:
        list.push_back(pc);
    }
  }

  std::u32string pattern_;
  size_t pos_ = 0;
  std::vector<CharClass> classes_;
  std::vector<Inst> prog_;
};

}  // namespace

namespace detail {
bool RegexFullMatch(std::string_view pattern, std::string_view text) {
  return Regex(pattern).FullMatch(text);
}
}  // namespace detail

// ===========================================================================
// Shapes: the request side of the SageMaker model for the ten operations.
// ===========================================================================
namespace {

namespace json = boost::json;

struct Shape;

struct Member {
  std::string name;  // model name, e.g. "LabelingJobName"
  const Shape* shape;
  bool required;
};

struct Shape {
  enum Kind { kString, kInteger, kTimestamp, kList, kStructure } kind = kString;
  std::optional<int64_t> min, max;  // length (string, list) or value (integer)
  std::string pattern;              // as printed in messages
  std::unique_ptr<Regex> regex;
  std::vector<std::string> enum_values;
  const Shape* member = nullptr;  // list element
  std::vector<Member> members;    // structure
};

class Schema {
 public:
  static const Schema& Get() {
    static const Schema schema;
    return schema;
  }
  const Shape* Input(std::string_view operation) const {
    for (const auto& [name, shape] : inputs_)
      if (name == operation) return shape;
    return nullptr;
  }

 private:
  using Opt = std::optional<int64_t>;

  const Shape* Str(Opt min, Opt max, std::string pattern = {}) {
    Shape& s = shapes_.emplace_back();
    s.kind = Shape::kString;
    s.min = min;
    s.max = max;
    if (!pattern.empty()) s.regex = std::make_unique<Regex>(pattern);
    s.pattern = std::move(pattern);
    return &s;
  }
  const Shape* Enum(std::vector<std::string> values) {
    Shape& s = shapes_.emplace_back();
    s.kind = Shape::kString;
    s.enum_values = std::move(values);
    return &s;
  }
  const Shape* Int(Opt min, Opt max) {
    Shape& s = shapes_.emplace_back();
    s.kind = Shape::kInteger;
    s.min = min;
    s.max = max;
    return &s;
  }
  const Shape* Time() {
    Shape& s = shapes_.emplace_back();
    s.kind = Shape::kTimestamp;
    return &s;
  }
  const Shape* List(const Shape* member, Opt min, Opt max) {
    Shape& s = shapes_.emplace_back();
    s.kind = Shape::kList;
    s.member = member;
    s.min = min;
    s.max = max;
    return &s;
  }
  const Shape* Struct(std::vector<Member> members) {
    Shape& s = shapes_.emplace_back();
    s.kind = Shape::kStructure;
    s.members = std::move(members);
    return &s;
  }

  Schema() {
    constexpr bool kReq = true, kOpt = false;
    const std::nullopt_t kNone = std::nullopt;

    // Scalars (service-2.json 2017-07-24; spec §1.1).
    const Shape* labeling_job_name = Str(1, 63, "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}");
    const Shape* workteam_name = labeling_job_name;  // same constraints
    const Shape* label_attribute_name = Str(1, 127, "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,126}");
    const Shape* s3_uri = Str(kNone, 1024, "^(https|s3)://([^/]+)/?(.*)$");
    const Shape* sns_topic_arn =
        Str(kNone, 2048, "arn:aws[a-z\\-]*:sns:[a-z0-9\\-]*:[0-9]{12}:[a-zA-Z0-9_.-]+");
    const Shape* kms_key_id = Str(kNone, 2048, ".*");
    const Shape* role_arn =
        Str(20, 2048, "^arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+$");
    const Shape* workteam_arn =
        Str(kNone, 256, "arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:workteam/.*");
    const Shape* lambda_arn =
        Str(kNone, 2048, "arn:aws[a-z\\-]*:lambda:[a-z0-9\\-]*:[0-9]{12}:function:.*");
    const Shape* human_task_ui_arn =
        Str(kNone, 1024, "arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:human-task-ui/.*");
    const Shape* model_arn =
        Str(20, 2048, "arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:model/.*");
    const Shape* algorithm_arn = Str(kNone, 2048, "arn:.*");
    const Shape* vpc_id_part = Str(kNone, 32, "[-0-9a-zA-Z]+");
    const Shape* task_keyword = Str(1, 30, "^[A-Za-z0-9]+( [A-Za-z0-9]+)*$");
    const Shape* task_title = Str(1, 128, "^[\\t\\n\\r -\\uD7FF\\uE000-\\uFFFD]*$");
    const Shape* task_description = Str(1, 255, ".+");
    const Shape* tag_key = Str(1, 128, "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$");
    const Shape* tag_value = Str(0, 256, "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$");
    const Shape* next_token = Str(kNone, 8192, ".*");
    const Shape* max_results = Int(1, 100);
    const Shape* timestamp = Time();
    const Shape* sort_order = Enum({"Ascending", "Descending"});
    const Shape* string200 = Str(1, 200, ".+");
    const Shape* enabled = Enum({"Enabled", "Disabled"});

    const Shape* tags = List(Struct({{"Key", tag_key, kReq}, {"Value", tag_value, kReq}}), 0, 50);

    // CreateLabelingJob
    const Shape* input_config = Struct({
        {"DataSource",
         Struct({{"S3DataSource", Struct({{"ManifestS3Uri", s3_uri, kReq}}), kOpt},
                 {"SnsDataSource", Struct({{"SnsTopicArn", sns_topic_arn, kReq}}), kOpt}}),
         kReq},
        {"DataAttributes",
         Struct({{"ContentClassifiers",
                  List(Enum({"FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent"}),
                       kNone, 256),
                  kOpt}}),
         kOpt},
    });
    const Shape* output_config = Struct({{"S3OutputPath", s3_uri, kReq},
                                         {"KmsKeyId", kms_key_id, kOpt},
                                         {"SnsTopicArn", sns_topic_arn, kOpt}});
    const Shape* stopping = Struct({{"MaxHumanLabeledObjectCount", Int(1, kNone), kOpt},
                                    {"MaxPercentageOfInputDatasetLabeled", Int(1, 100), kOpt}});
    const Shape* algorithms = Struct({
        {"LabelingJobAlgorithmSpecificationArn", algorithm_arn, kReq},
        {"InitialActiveLearningModelArn", model_arn, kOpt},
        {"LabelingJobResourceConfig",
         Struct({{"VolumeKmsKeyId", kms_key_id, kOpt},
                 {"VpcConfig",
                  Struct({{"SecurityGroupIds", List(vpc_id_part, 1, 5), kReq},
                          {"Subnets", List(vpc_id_part, 1, 16), kReq}}),
                  kOpt}}),
         kOpt},
    });
    // PreHumanTaskLambdaArn and AnnotationConsolidationConfig are required in
    // the 2023 model and optional in the newer one; we accept both (§1.12).
    const Shape* human_task_config = Struct({
        {"WorkteamArn", workteam_arn, kReq},
        {"UiConfig",
         Struct({{"UiTemplateS3Uri", s3_uri, kOpt}, {"HumanTaskUiArn", human_task_ui_arn, kOpt}}),
         kReq},
        {"PreHumanTaskLambdaArn", lambda_arn, kOpt},
        {"TaskKeywords", List(task_keyword, 1, 5), kOpt},
        {"TaskTitle", task_title, kReq},
        {"TaskDescription", task_description, kReq},
        {"NumberOfHumanWorkersPerDataObject", Int(1, 9), kReq},
        {"TaskTimeLimitInSeconds", Int(30, kNone), kReq},
        {"TaskAvailabilityLifetimeInSeconds", Int(60, kNone), kOpt},
        {"MaxConcurrentTaskCount", Int(1, 5000), kOpt},
        {"AnnotationConsolidationConfig",
         Struct({{"AnnotationConsolidationLambdaArn", lambda_arn, kReq}}), kOpt},
        {"PublicWorkforceTaskPrice",
         Struct({{"AmountInUsd",
                  Struct({{"Dollars", Int(0, 2), kOpt},
                          {"Cents", Int(0, 99), kOpt},
                          {"TenthFractionsOfACent", Int(0, 9), kOpt}}),
                  kOpt}}),
         kOpt},
    });
    inputs_.emplace_back("CreateLabelingJob",
                         Struct({{"LabelingJobName", labeling_job_name, kReq},
                                 {"LabelAttributeName", label_attribute_name, kReq},
                                 {"InputConfig", input_config, kReq},
                                 {"OutputConfig", output_config, kReq},
                                 {"RoleArn", role_arn, kReq},
                                 {"LabelCategoryConfigS3Uri", s3_uri, kOpt},
                                 {"StoppingConditions", stopping, kOpt},
                                 {"LabelingJobAlgorithmsConfig", algorithms, kOpt},
                                 {"HumanTaskConfig", human_task_config, kReq},
                                 {"Tags", tags, kOpt}}));

    const Shape* by_job_name = Struct({{"LabelingJobName", labeling_job_name, kReq}});
    inputs_.emplace_back("DescribeLabelingJob", by_job_name);
    inputs_.emplace_back("StopLabelingJob", by_job_name);
    inputs_.emplace_back(
        "ListLabelingJobs",
        Struct({{"CreationTimeAfter", timestamp, kOpt},
                {"CreationTimeBefore", timestamp, kOpt},
                {"LastModifiedTimeAfter", timestamp, kOpt},
                {"LastModifiedTimeBefore", timestamp, kOpt},
                {"MaxResults", max_results, kOpt},
                {"NextToken", next_token, kOpt},
                {"NameContains", Str(kNone, 63, "[a-zA-Z0-9\\-]+"), kOpt},
                {"SortBy", Enum({"Name", "CreationTime", "Status"}), kOpt},
                {"SortOrder", sort_order, kOpt},
                {"StatusEquals",
                 Enum({"Initializing", "InProgress", "Completed", "Failed", "Stopping", "Stopped"}),
                 kOpt}}));
    inputs_.emplace_back("ListLabelingJobsForWorkteam",
                         Struct({{"WorkteamArn", workteam_arn, kReq},
                                 {"MaxResults", max_results, kOpt},
                                 {"NextToken", next_token, kOpt},
                                 {"CreationTimeAfter", timestamp, kOpt},
                                 {"CreationTimeBefore", timestamp, kOpt},
                                 {"JobReferenceCodeContains", Str(1, 255, ".+"), kOpt},
                                 {"SortBy", Enum({"CreationTime"}), kOpt},
                                 {"SortOrder", sort_order, kOpt}}));

    // Work teams. OidcMemberDefinition.Groups is optional in the newer model.
    const Shape* member_definitions = List(
        Struct({{"CognitoMemberDefinition",
                 Struct({{"UserPool", Str(1, 55, "[\\w-]+_[0-9a-zA-Z]+"), kReq},
                         {"UserGroup", Str(1, 128, "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"), kReq},
                         {"ClientId", Str(1, 1024, "[ -~]+"), kReq}}),
                 kOpt},
                {"OidcMemberDefinition",
                 Struct({{"Groups", List(Str(1, 63, "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"), 1, 10),
                          kOpt}}),
                 kOpt}}),
        1, 10);
    const Shape* notification = Struct(
        {{"NotificationTopicArn",
          Str(kNone, kNone, "arn:aws[a-z\\-]*:sns:[a-z0-9\\-]*:[0-9]{12}:[a-zA-Z0-9_.-]*"), kOpt}});
    const Shape* worker_access = Struct(
        {{"S3Presign",
          Struct({{"IamPolicyConstraints",
                   Struct({{"SourceIp", enabled, kOpt}, {"VpcSourceIp", enabled, kOpt}}), kOpt}}),
          kOpt}});
    inputs_.emplace_back(
        "CreateWorkteam",
        Struct({{"WorkteamName", workteam_name, kReq},
                {"WorkforceName", Str(1, 63, "^[a-zA-Z0-9]([a-zA-Z0-9\\-]){0,62}$"), kOpt},
                {"MemberDefinitions", member_definitions, kReq},
                {"Description", string200, kReq},
                {"NotificationConfiguration", notification, kOpt},
                {"WorkerAccessConfiguration", worker_access, kOpt},
                {"Tags", tags, kOpt}}));
    const Shape* by_team_name = Struct({{"WorkteamName", workteam_name, kReq}});
    inputs_.emplace_back("DescribeWorkteam", by_team_name);
    inputs_.emplace_back("DeleteWorkteam", by_team_name);
    inputs_.emplace_back("ListWorkteams", Struct({{"SortBy", Enum({"Name", "CreateDate"}), kOpt},
                                                  {"SortOrder", sort_order, kOpt},
                                                  {"NameContains", workteam_name, kOpt},
                                                  {"NextToken", next_token, kOpt},
                                                  {"MaxResults", max_results, kOpt}}));
    inputs_.emplace_back("UpdateWorkteam",
                         Struct({{"WorkteamName", workteam_name, kReq},
                                 {"MemberDefinitions", member_definitions, kOpt},
                                 {"Description", string200, kOpt},
                                 {"NotificationConfiguration", notification, kOpt},
                                 {"WorkerAccessConfiguration", worker_access, kOpt}}));
  }

  std::deque<Shape> shapes_;  // stable addresses
  std::vector<std::pair<std::string, const Shape*>> inputs_;
};

// ===========================================================================
// The walk over a request body.
// ===========================================================================

std::string CamelPath(const std::string& prefix, std::string_view member) {
  std::string out = prefix;
  if (!out.empty()) out.push_back('.');
  out += member;
  const size_t first = prefix.empty() ? 0 : prefix.size() + 1;
  if (first < out.size() && out[first] >= 'A' && out[first] <= 'Z') out[first] += 'a' - 'A';
  return out;
}

// How a value appears in "Value '...'": strings raw, lists as Java prints
// them ("[a, b]"), anything else as JSON.
std::string Render(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_array()) {
    std::string out = "[";
    bool first = true;
    for (const json::value& e : v.get_array()) {
      if (!first) out += ", ";
      first = false;
      out += e.is_null() ? "null" : Render(e);
    }
    return out + "]";
  }
  return json::serialize(v);
}

const char* JsonKind(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return "STRING_VALUE";
    case json::kind::bool_:
      return "BOOLEAN_VALUE";
    default:
      return "NUMBER_VALUE";
  }
}

class Walker {
 public:
  std::vector<std::string> errors;
  std::optional<std::string> serialization;  // first type error, if any

  void Structure(const Shape& shape, const json::object& obj, const std::string& prefix) {
    for (const Member& m : shape.members) {
      if (serialization) return;
      const std::string path = CamelPath(prefix, m.name);
      const json::value* v = obj.if_contains(m.name);
      if (v == nullptr || v->is_null()) {
        if (m.required) Fail(path, "Value null", "not be null");
        continue;
      }
      Value(*m.shape, *v, path);
    }
  }

 private:
  void Fail(const std::string& path, const std::string& value_text, std::string_view rule) {
    errors.push_back(value_text + " at '" + path + "' failed to satisfy constraint: Member must " +
                     std::string(rule));
  }
  static std::string Quoted(const json::value& v) { return "Value '" + Render(v) + "'"; }

  // Type check; on mismatch records a SerializationException message.
  bool TypeOk(const Shape& shape, const json::value& v) {
    auto mismatch = [&](const char* target) {
      if (v.is_object())
        serialization = "Start of structure or map found where not expected.";
      else if (v.is_array())
        serialization = "Start of list found where not expected.";
      else
        serialization = std::string(JsonKind(v)) + " can not be converted to " + target;
      return false;
    };
    switch (shape.kind) {
      case Shape::kString:
        return v.is_string() || mismatch("String");
      case Shape::kTimestamp:
        return v.is_number() || mismatch("Timestamp");
      case Shape::kList:
        return v.is_array() || mismatch("List");
      case Shape::kStructure:
        return v.is_object() || mismatch("Structure");
      case Shape::kInteger: {
        // Java Integer: integral and 32-bit. 3.0 is accepted, 3.5 is not.
        std::optional<int64_t> i = AsInt(v);
        if (i && *i >= INT32_MIN && *i <= INT32_MAX) return true;
        return mismatch("Integer");
      }
    }
    return false;
  }

  static std::optional<int64_t> AsInt(const json::value& v) {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64()) {
      return v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)
                 ? std::optional<int64_t>(static_cast<int64_t>(v.get_uint64()))
                 : std::nullopt;
    }
    if (v.is_double()) {
      double d = v.get_double();
      if (d >= -9e15 && d <= 9e15 && d == static_cast<double>(static_cast<int64_t>(d)))
        return static_cast<int64_t>(d);
    }
    return std::nullopt;
  }

  // Rules a scalar breaks, as "satisfy ..."/"have ..." phrases.
  std::vector<std::string> ScalarRules(const Shape& shape, const json::value& v) {
    std::vector<std::string> rules;
    if (shape.kind == Shape::kString) {
      const std::string_view s = v.get_string();
      const size_t len = Utf16Length(s);
      // Values far beyond any limit get the length error only.
      if (shape.regex && len <= 65536 && !shape.regex->FullMatch(s))
        rules.push_back("satisfy regular expression pattern: " + shape.pattern);
      if (shape.min && static_cast<int64_t>(len) < *shape.min)
        rules.push_back("have length greater than or equal to " + std::to_string(*shape.min));
      if (shape.max && static_cast<int64_t>(len) > *shape.max)
        rules.push_back("have length less than or equal to " + std::to_string(*shape.max));
      if (!shape.enum_values.empty() &&
          std::find(shape.enum_values.begin(), shape.enum_values.end(), s) ==
              shape.enum_values.end()) {
        std::string set;
        for (const std::string& e : shape.enum_values) set += (set.empty() ? "" : ", ") + e;
        rules.push_back("satisfy enum value set: [" + set + "]");
      }
    } else if (shape.kind == Shape::kInteger) {
      const int64_t i = *AsInt(v);
      if (shape.min && i < *shape.min)
        rules.push_back("have value greater than or equal to " + std::to_string(*shape.min));
      if (shape.max && i > *shape.max)
        rules.push_back("have value less than or equal to " + std::to_string(*shape.max));
    }
    return rules;
  }

  void Value(const Shape& shape, const json::value& v, const std::string& path) {
    if (!TypeOk(shape, v)) return;
    switch (shape.kind) {
      case Shape::kString:
      case Shape::kInteger: {
        const std::string shown =
            v.is_string() ? Quoted(v) : "Value '" + std::to_string(*AsInt(v)) + "'";
        for (const std::string& rule : ScalarRules(shape, v)) Fail(path, shown, rule);
        return;
      }
      case Shape::kTimestamp:
        return;
      case Shape::kStructure:
        Structure(shape, v.get_object(), path);
        return;
      case Shape::kList:
        List(shape, v.get_array(), v, path);
        return;
    }
  }

  void List(const Shape& shape, const json::array& arr, const json::value& whole,
            const std::string& path) {
    const int64_t n = static_cast<int64_t>(arr.size());
    if (shape.min && n < *shape.min)
      Fail(path, Quoted(whole),
           "have length greater than or equal to " + std::to_string(*shape.min));
    if (shape.max && n > *shape.max)
      Fail(path, Quoted(whole), "have length less than or equal to " + std::to_string(*shape.max));
    const Shape& member = *shape.member;
    if (member.kind == Shape::kStructure || member.kind == Shape::kList) {
      // AWS indexes members of structure lists from 1: "tags.1.member.key".
      for (size_t i = 0; i < arr.size() && !serialization; ++i) {
        const std::string item = path + "." + std::to_string(i + 1) + ".member";
        if (arr[i].is_null())
          Fail(item, "Value null", "not be null");
        else
          Value(member, arr[i], item);
      }
      return;
    }
    // Scalar members: one error for the whole list listing every broken rule.
    std::vector<std::string> broken;
    for (const json::value& e : arr) {
      std::vector<std::string> rules;
      if (e.is_null()) {
        rules.push_back("not be null");
      } else {
        if (!TypeOk(member, e)) return;
        rules = ScalarRules(member, e);
      }
      for (std::string& r : rules) {
        r = "Member must " + r;
        if (std::find(broken.begin(), broken.end(), r) == broken.end()) broken.push_back(r);
      }
    }
    if (broken.empty()) return;
    std::string joined;
    for (const std::string& r : broken) joined += (joined.empty() ? "" : ", ") + r;
    Fail(path, Quoted(whole), "satisfy constraint: [" + joined + "]");
  }
};

// ===========================================================================
// Ground Truth's server-side rules (spec §1.2, §1.7, §3.2), on shape-valid input.
// ===========================================================================

constexpr std::string_view kBuiltinTaskTypes[] = {"BoundingBox",
                                                  "ImageMultiClass",
                                                  "ImageMultiClassMultiLabel",
                                                  "SemanticSegmentation",
                                                  "TextMultiClass",
                                                  "TextMultiClassMultiLabel",
                                                  "NamedEntityRecognition",
                                                  "VideoMultiClass",
                                                  "VideoObjectDetection",
                                                  "VideoObjectTracking",
                                                  "3DPointCloudObjectDetection",
                                                  "3DPointCloudObjectTracking",
                                                  "3DPointCloudSemanticSegmentation",
                                                  "VerificationBoundingBox",
                                                  "AdjustmentBoundingBox",
                                                  "VerificationSemanticSegmentation",
                                                  "AdjustmentSemanticSegmentation",
                                                  "AdjustmentVideoObjectDetection",
                                                  "AdjustmentVideoObjectTracking",
                                                  "Adjustment3DPointCloudObjectDetection",
                                                  "Adjustment3DPointCloudObjectTracking",
                                                  "Adjustment3DPointCloudSemanticSegmentation",
                                                  "PassThrough"};

// Task types whose LabelAttributeName must end in "-ref" (their output is a
// file reference); every other task type must not (spec §3.2).
constexpr std::string_view kRefTaskTypes[] = {"SemanticSegmentation",
                                              "VerificationSemanticSegmentation",
                                              "AdjustmentSemanticSegmentation",
                                              "VideoObjectDetection",
                                              "AdjustmentVideoObjectDetection",
                                              "VideoObjectTracking",
                                              "AdjustmentVideoObjectTracking",
                                              "3DPointCloudObjectTracking",
                                              "Adjustment3DPointCloudObjectTracking",
                                              "3DPointCloudSemanticSegmentation",
                                              "Adjustment3DPointCloudSemanticSegmentation"};

// Video-frame and 3D point cloud types: AWS-hosted UI and the 30-day limit.
bool IsFrameOrCloudType(std::string_view t) {
  return (t.find("Video") != std::string_view::npos && t != "VideoMultiClass") ||
         t.find("3DPointCloud") != std::string_view::npos;
}
bool UsesHostedUi(std::string_view t) {
  return t == "NamedEntityRecognition" || IsFrameOrCloudType(t);
}

template <size_t N>
bool In(const std::string_view (&list)[N], std::string_view v) {
  return std::find(std::begin(list), std::end(list), v) != std::end(list);
}

// "arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass[:qualifier]"
// -> "PRE-TextMultiClass".
std::string_view FunctionName(std::string_view arn) {
  size_t at = arn.find(":function:");
  if (at == std::string_view::npos) return {};
  std::string_view name = arn.substr(at + 10);
  return name.substr(0, name.find(':'));
}

// The built-in task type named by a hook ARN with the given prefix, or "".
std::string_view BuiltinType(std::string_view arn, std::string_view prefix) {
  std::string_view name = FunctionName(arn);
  if (!name.starts_with(prefix)) return {};
  name.remove_prefix(prefix.size());
  return In(kBuiltinTaskTypes, name) ? name : std::string_view{};
}

bool EndsWith(std::string_view s, std::string_view suffix) { return s.ends_with(suffix); }

std::string_view Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}
const json::object* Obj(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

constexpr int64_t kMaxTaskTime = 28'800;            // 8 hours
constexpr int64_t kMaxFrameTaskTime = 2'592'000;    // 30 days
constexpr int64_t kMaxPublicLifetime = 43'200;      // 12 hours
constexpr int64_t kMaxPrivateLifetime = 2'592'000;  // 30 days

std::optional<std::string> CheckCreateLabelingJob(const json::object& req) {
  const json::object& htc = *Obj(req, "HumanTaskConfig");
  const json::object& ui = *Obj(htc, "UiConfig");
  const bool has_template = ui.contains("UiTemplateS3Uri") && !ui.at("UiTemplateS3Uri").is_null();
  const bool has_hosted = ui.contains("HumanTaskUiArn") && !ui.at("HumanTaskUiArn").is_null();
  if (has_template == has_hosted)
    return "UiConfig must contain exactly one of UiTemplateS3Uri and HumanTaskUiArn.";

  const std::string_view pre_arn = Str(htc, "PreHumanTaskLambdaArn");
  const json::object* acs_config = Obj(htc, "AnnotationConsolidationConfig");
  const std::string_view acs_arn =
      acs_config ? Str(*acs_config, "AnnotationConsolidationLambdaArn") : std::string_view{};
  const std::string_view pre_type = BuiltinType(pre_arn, "PRE-");
  const std::string_view acs_type = BuiltinType(acs_arn, "ACS-");
  if (!BuiltinType(pre_arn, "ACS-").empty())
    return "PreHumanTaskLambdaArn names a consolidation function (" +
           std::string(FunctionName(pre_arn)) + "); use the PRE- function of the task type.";
  if (!BuiltinType(acs_arn, "PRE-").empty())
    return "AnnotationConsolidationLambdaArn names a pre-annotation function (" +
           std::string(FunctionName(acs_arn)) + "); use the ACS- function of the task type.";
  if (!pre_type.empty() && acs_arn.empty())
    return "AnnotationConsolidationConfig is required when PreHumanTaskLambdaArn is the built-in "
           "function PRE-" +
           std::string(pre_type) + ".";
  if (!pre_type.empty() && !acs_type.empty() && pre_type != acs_type)
    return "PreHumanTaskLambdaArn (PRE-" + std::string(pre_type) +
           ") and AnnotationConsolidationLambdaArn (ACS-" + std::string(acs_type) +
           ") must belong to the same built-in task type.";
  const std::string_view task_type = !pre_type.empty() ? pre_type : acs_type;  // "" = custom

  const std::string_view label = Str(req, "LabelAttributeName");
  if (EndsWith(label, "-metadata"))
    return "LabelAttributeName '" + std::string(label) + "' must not end with \"-metadata\".";
  if (label == "source" || label == "source-ref")
    return "LabelAttributeName must not be \"source\" or \"source-ref\": those keys hold the data "
           "object in the manifest.";
  const bool wants_ref = In(kRefTaskTypes, task_type);
  const std::string type_text = task_type.empty() ? std::string("custom labeling jobs")
                                                  : "task type " + std::string(task_type);
  if (wants_ref && !EndsWith(label, "-ref"))
    return "LabelAttributeName '" + std::string(label) + "' must end with \"-ref\" for " +
           type_text + ".";
  if (!wants_ref && EndsWith(label, "-ref"))
    return "LabelAttributeName '" + std::string(label) + "' must not end with \"-ref\" for " +
           type_text + ".";

  if (has_hosted && !task_type.empty() && !UsesHostedUi(task_type))
    return "HumanTaskUiArn cannot be used with task type " + std::string(task_type) +
           "; give UiConfig.UiTemplateS3Uri instead.";

  const int64_t time_limit = htc.at("TaskTimeLimitInSeconds").to_number<int64_t>();
  const int64_t max_time = IsFrameOrCloudType(task_type) ? kMaxFrameTaskTime : kMaxTaskTime;
  if (time_limit > max_time)
    return "TaskTimeLimitInSeconds (" + std::to_string(time_limit) +
           ") must be less than or equal to " + std::to_string(max_time) + " for " + type_text +
           ".";

  const bool public_team =
      Str(htc, "WorkteamArn").find(":workteam/public-crowd/") != std::string_view::npos;
  if (const json::value* life = htc.if_contains("TaskAvailabilityLifetimeInSeconds");
      life && !life->is_null()) {
    const int64_t max_life = public_team ? kMaxPublicLifetime : kMaxPrivateLifetime;
    const int64_t value = life->to_number<int64_t>();
    if (value > max_life)
      return "TaskAvailabilityLifetimeInSeconds (" + std::to_string(value) +
             ") must be less than or equal to " + std::to_string(max_life) + " for " +
             (public_team ? "the public workforce." : "a private workforce.");
  }
  if (public_team) {
    bool pii_free = false;
    if (const json::object* attrs = Obj(*Obj(req, "InputConfig"), "DataAttributes")) {
      if (const json::value* cc = attrs->if_contains("ContentClassifiers"); cc && cc->is_array())
        for (const json::value& c : cc->get_array())
          pii_free |= c.is_string() && c.get_string() == "FreeOfPersonallyIdentifiableInformation";
    }
    if (!pii_free)
      return "The public workforce requires InputConfig.DataAttributes.ContentClassifiers to "
             "contain FreeOfPersonallyIdentifiableInformation.";
  }
  return std::nullopt;
}

std::optional<std::string> CheckMemberDefinitions(const json::object& req) {
  const json::value* defs = req.if_contains("MemberDefinitions");
  if (defs == nullptr || !defs->is_array()) return std::nullopt;
  int cognito = 0, oidc = 0;
  std::string_view pool, client;
  for (const json::value& d : defs->get_array()) {
    const json::object& def = d.get_object();
    const json::object* c = Obj(def, "CognitoMemberDefinition");
    const json::object* o = Obj(def, "OidcMemberDefinition");
    if ((c != nullptr) == (o != nullptr))
      return "Each MemberDefinition must contain exactly one of CognitoMemberDefinition and "
             "OidcMemberDefinition.";
    if (c != nullptr) {
      if (cognito++ > 0 && (Str(*c, "UserPool") != pool || Str(*c, "ClientId") != client))
        return "All CognitoMemberDefinitions of a work team must use the same UserPool and "
               "ClientId.";
      pool = Str(*c, "UserPool");
      client = Str(*c, "ClientId");
    } else {
      ++oidc;
    }
  }
  if (cognito > 0 && oidc > 0)
    return "MemberDefinitions cannot mix CognitoMemberDefinition and OidcMemberDefinition.";
  return std::nullopt;
}

}  // namespace

// ===========================================================================

bool HasRequestShape(std::string_view operation) {
  return Schema::Get().Input(operation) != nullptr;
}

std::optional<ApiError> ValidateRequest(std::string_view operation,
                                        const boost::json::value& body) {
  const Shape* shape = Schema::Get().Input(operation);
  if (shape == nullptr) return std::nullopt;
  if (!body.is_object()) {
    std::string message = body.is_array() ? "Start of list found where not expected."
                          : body.is_null()
                              ? "Expected a JSON object as the request body."
                              : std::string(JsonKind(body)) + " can not be converted to Structure";
    return ApiError{"SerializationException", std::move(message)};
  }
  Walker walker;
  walker.Structure(*shape, body.get_object(), "");
  if (walker.serialization) return ApiError{"SerializationException", *walker.serialization};
  if (!walker.errors.empty()) {
    const size_t n = walker.errors.size();
    std::string message =
        std::to_string(n) + (n == 1 ? " validation error" : " validation errors") + " detected: ";
    for (size_t i = 0; i < n; ++i) message += (i ? "; " : "") + walker.errors[i];
    return ApiError{"ValidationException", std::move(message)};
  }
  std::optional<std::string> rule;
  if (operation == "CreateLabelingJob")
    rule = CheckCreateLabelingJob(body.get_object());
  else if (operation == "CreateWorkteam" || operation == "UpdateWorkteam")
    rule = CheckMemberDefinitions(body.get_object());
  if (rule) return ApiError{"ValidationException", std::move(*rule)};
  return std::nullopt;
}

}  // namespace plumbline::api
