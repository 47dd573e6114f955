// Chemical formula parsing and composition arithmetic.
#include "pxrd/composition.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <vector>

#include "pxrd/elements.hpp"
#include "pxrd/error.hpp"

namespace pxrd {

namespace {

constexpr double kAmountTol = 1e-6;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

// Recursive-descent parser. Grammar:
//   formula := part (separator part)*          separator: "·" (U+00B7), "*", or a hydrate "."
//   part    := [number] group+                 leading number multiplies the part ("5H2O")
//   group   := (element | "(" group+ ")" | "[" group+ "]") [number]
class FormulaParser {
 public:
  explicit FormulaParser(const std::string& text) : s_(text) {}

  std::map<std::string, double> parse() {
    std::map<std::string, double> total;
    skip_spaces();
    if (pos_ >= s_.size()) fail("empty formula");
    while (true) {
      std::map<std::string, double> part;
      double multiplier = 1.0;
      if (is_digit(peek())) multiplier = number(true);
      skip_spaces();
      parse_groups(part, '\0');
      for (const auto& [el, n] : part) total[el] += n * multiplier;
      skip_spaces();
      if (pos_ >= s_.size()) break;
      if (!separator()) fail(std::string("unexpected character '") + current_char() + "'");
      skip_spaces();
      if (pos_ >= s_.size()) fail("nothing after the hydrate separator");
    }
    return total;
  }

 private:
  [[noreturn]] void fail(const std::string& cause) const {
    // Position in characters (1-based), not bytes: the middle dot takes two bytes.
    std::size_t chars = 0;
    for (std::size_t i = 0; i < pos_ && i < s_.size(); ++i)
      if ((static_cast<unsigned char>(s_[i]) & 0xC0) != 0x80) ++chars;
    throw InputError("formula", 0, "'" + s_ + "': " + cause + " at position " + std::to_string(chars + 1));
  }

  char peek(std::size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }

  std::string current_char() const {
    if (pos_ >= s_.size()) return "";
    std::size_t len = 1;
    const unsigned char c = static_cast<unsigned char>(s_[pos_]);
    if (c >= 0xF0) len = 4;
    else if (c >= 0xE0) len = 3;
    else if (c >= 0xC0) len = 2;
    return s_.substr(pos_, len);
  }

  void skip_spaces() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }

  bool separator() {
    if (s_.compare(pos_, 2, "\xC2\xB7") == 0) {  // U+00B7 middle dot
      pos_ += 2;
      return true;
    }
    if (s_.compare(pos_, 3, "\xE2\x8B\x85") == 0 || s_.compare(pos_, 3, "\xE2\x80\xA2") == 0) {  // ⋅ and •
      pos_ += 3;
      return true;
    }
    if (peek() == '*' || peek() == '.') {
      ++pos_;
      return true;
    }
    return false;
  }

  // A '.' between digits is a decimal point ("Li0.5CoO2", "Fe1.5O") unless the digits after it are the count of a
  // hydrate water ("CuSO4.5H2O", "Na2CO3.10H2O", "CuSO4.5(H2O)", "CaSO4.0.5H2O").
  bool dot_is_decimal_point(std::size_t dot) const {
    if (dot + 1 >= s_.size() || !is_digit(s_[dot + 1])) return false;
    std::size_t k = dot + 1;
    while (k < s_.size() && is_digit(s_[k])) ++k;
    const std::string rest = s_.substr(k);
    if (!rest.empty() && rest[0] == '.') return false;  // "CaSO4.0.5H2O": the second '.' is the decimal point
    for (const char* water : {"H2O", "D2O", "(H2O)", "(D2O)"})
      if (rest.compare(0, std::char_traits<char>::length(water), water) == 0) return false;
    return true;
  }

  // `leading`: the multiplier in front of a part ("0.5H2O"), where a '.' between digits is always a decimal point.
  double number(bool leading = false) {
    const std::size_t start = pos_;
    while (is_digit(peek())) ++pos_;
    if (peek() == '.' && (leading ? is_digit(peek(1)) : dot_is_decimal_point(pos_))) {
      ++pos_;
      while (is_digit(peek())) ++pos_;
    }
    const double v = std::strtod(s_.substr(start, pos_ - start).c_str(), nullptr);
    if (!(v > 0)) {
      pos_ = start;
      fail("amount must be positive");
    }
    return v;
  }

  void parse_groups(std::map<std::string, double>& out, char closing) {
    bool any = false;
    while (true) {
      const char c = peek();
      if (is_upper(c)) {
        const std::size_t start = pos_;
        ++pos_;
        while (is_lower(peek())) ++pos_;
        const std::string symbol = s_.substr(start, pos_ - start);
        const int z = atomic_number_or_negative(symbol);
        if (z < 0 || symbol.size() > 2) {
          pos_ = start;
          fail("unknown element '" + symbol + "'");
        }
        double n = 1.0;
        if (is_digit(peek())) n = number();
        out[element_symbol(z)] += n;
        any = true;
      } else if (c == '(' || c == '[') {
        const std::size_t open = pos_;
        ++pos_;
        std::map<std::string, double> inner;
        parse_groups(inner, c == '(' ? ')' : ']');
        if (peek() != (c == '(' ? ')' : ']')) {
          pos_ = open;
          fail(std::string("unbalanced '") + c + "'");
        }
        ++pos_;
        double n = 1.0;
        if (is_digit(peek())) n = number();
        for (const auto& [el, m] : inner) out[el] += m * n;
        any = true;
      } else if (c == ' ') {
        skip_spaces();  // "Ce4 O8" (pymatgen's spaced formula)
        if (!is_upper(peek()) && peek() != '(' && peek() != '[') break;
      } else {
        break;
      }
    }
    if (!any) {
      if (pos_ >= s_.size()) fail("expected an element");
      fail(std::string("unexpected character '") + current_char() + "'");
    }
    if (closing == '\0' && (peek() == ')' || peek() == ']')) fail(std::string("unbalanced '") + peek() + "'");
  }

  const std::string& s_;
  std::size_t pos_ = 0;
};

bool is_integer(double x) { return std::abs(x - std::round(x)) < kAmountTol; }

std::string format_amount(double n) {
  if (is_integer(n)) return std::to_string(static_cast<long long>(std::llround(n)));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", n);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

Composition Composition::parse(const std::string& formula) {
  Composition c;
  c.amounts_ = FormulaParser(formula).parse();
  return c;
}

Composition Composition::of(const Crystal& crystal) {
  Composition c;
  for (const Site& s : crystal.sites) {
    const std::string& el = s.element.empty() ? element_symbol(s.atomic_number) : s.element;
    c.amounts_[el] += s.occupancy;
  }
  for (auto it = c.amounts_.begin(); it != c.amounts_.end();)
    it = it->second < kAmountTol ? c.amounts_.erase(it) : std::next(it);
  return c;
}

double Composition::total_atoms() const {
  double n = 0;
  for (const auto& kv : amounts_) n += kv.second;
  return n;
}

int Composition::formula_units() const {
  long long g = 0;
  for (const auto& kv : amounts_) {
    if (!is_integer(kv.second)) return 1;
    g = std::gcd(g, std::llround(kv.second));
  }
  return g > 0 ? static_cast<int>(g) : 1;
}

Composition Composition::reduced() const { return scaled(1.0 / formula_units()); }

Composition Composition::scaled(double factor) const {
  Composition c;
  for (const auto& [el, n] : amounts_) c.amounts_[el] = n * factor;
  return c;
}

std::string Composition::formula(bool spaced) const {
  // Hill order: C, then H, then the rest alphabetically; without carbon everything is alphabetical.
  std::vector<std::string> order;
  const bool has_carbon = amounts_.count("C") > 0;
  if (has_carbon) {
    order.push_back("C");
    if (amounts_.count("H")) order.push_back("H");
  }
  for (const auto& kv : amounts_)
    if (!has_carbon || (kv.first != "C" && kv.first != "H")) order.push_back(kv.first);
  std::string out;
  for (const std::string& el : order) {
    const double n = amounts_.at(el);
    if (spaced) {
      if (!out.empty()) out += ' ';
      out += el + format_amount(n);
    } else {
      out += el;
      if (!(is_integer(n) && std::llround(n) == 1)) out += format_amount(n);
    }
  }
  return out;
}

bool Composition::operator==(const Composition& other) const {
  auto covered = [](const Composition& x, const Composition& y) {
    for (const auto& [el, n] : x.amounts_) {
      auto it = y.amounts_.find(el);
      const double m = it == y.amounts_.end() ? 0.0 : it->second;
      if (std::abs(n - m) > kAmountTol) return false;
    }
    return true;
  };
  return covered(*this, other) && covered(other, *this);
}

}  // namespace pxrd
