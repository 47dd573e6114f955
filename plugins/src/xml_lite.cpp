#include "xml_lite.hpp"

#include <algorithm>

#include "pxrd/error.hpp"

namespace pxrd::formats::detail {

const XmlElement* XmlElement::child(std::string_view n) const {
  for (const auto& c : children)
    if (c->name == n) return c.get();
  return nullptr;
}

std::vector<const XmlElement*> XmlElement::children_named(std::string_view n) const {
  std::vector<const XmlElement*> out;
  for (const auto& c : children)
    if (c->name == n) out.push_back(c.get());
  return out;
}

const XmlElement* XmlElement::find(std::string_view n) const {
  for (const auto& c : children) {
    if (c->name == n) return c.get();
    if (const XmlElement* d = c->find(n)) return d;
  }
  return nullptr;
}

void XmlElement::find_all(std::string_view n, std::vector<const XmlElement*>& out) const {
  for (const auto& c : children) {
    if (c->name == n) out.push_back(c.get());
    c->find_all(n, out);
  }
}

std::string XmlElement::attr(const std::string& key, const std::string& fallback) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? fallback : it->second;
}

namespace {

constexpr int kMaxDepth = 200;  // deeper nesting is refused rather than risking the stack

class Parser {
 public:
  Parser(std::string_view t, const std::string& path) : t_(t), path_(path) {}

  std::unique_ptr<XmlElement> run() {
    if (t_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    std::unique_ptr<XmlElement> root;
    while (true) {
      skip_misc();
      if (pos_ >= t_.size()) break;
      if (t_[pos_] != '<') fail("text outside the root element");
      if (root) fail("a second root element");
      root = element(0);
    }
    if (!root) fail("no XML element found");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& cause) const { throw InputError(path_, line_at(pos_), "XML: " + cause); }

  // Line of byte p, counted incrementally (positions mostly move forward).
  int line_at(std::size_t p) const {
    p = std::min(p, t_.size());
    if (p < counted_) counted_ = 0, counted_line_ = 0;
    for (std::size_t i = counted_; i < p; ++i) counted_line_ += t_[i] == '\n';
    counted_ = p;
    return counted_line_ + 1;
  }

  bool at(std::string_view s) const { return t_.substr(pos_, s.size()) == s; }

  void skip_until(std::string_view end, const char* what) {
    const auto e = t_.find(end, pos_);
    if (e == std::string_view::npos) fail(std::string("unterminated ") + what);
    pos_ = e + end.size();
  }

  // Whitespace, comments, processing instructions and DOCTYPE between elements.
  void skip_misc() {
    while (pos_ < t_.size()) {
      const char c = t_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
      } else if (at("<?")) {
        skip_until("?>", "processing instruction");
      } else if (at("<!--")) {
        skip_until("-->", "comment");
      } else if (at("<!DOCTYPE")) {
        skip_until(">", "DOCTYPE");
      } else {
        break;
      }
    }
  }

  static bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
  }

  std::string name() {
    const std::size_t b = pos_;
    while (pos_ < t_.size() && name_char(t_[pos_])) ++pos_;
    if (pos_ == b) fail("expected a name");
    std::string_view n = t_.substr(b, pos_ - b);
    const auto colon = n.rfind(':');
    return std::string(colon == std::string_view::npos ? n : n.substr(colon + 1));
  }

  void spaces() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\t' || t_[pos_] == '\r' || t_[pos_] == '\n')) ++pos_;
  }

  void decode_into(std::string_view raw, std::string& out) {
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      const auto semi = raw.find(';', i);
      if (semi == std::string_view::npos || semi - i > 10) {
        out += '&';
        continue;
      }
      const std::string_view ent = raw.substr(i + 1, semi - i - 1);
      if (ent == "lt") out += '<';
      else if (ent == "gt") out += '>';
      else if (ent == "amp") out += '&';
      else if (ent == "quot") out += '"';
      else if (ent == "apos") out += '\'';
      else if (!ent.empty() && ent[0] == '#') {
        long code = 0;
        const bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
        for (std::size_t k = hex ? 2 : 1; k < ent.size() && code < 0x110000; ++k) {
          const char c = ent[k];
          const int d = (c >= '0' && c <= '9') ? c - '0'
                        : hex && (c >= 'a' && c <= 'f') ? c - 'a' + 10
                        : hex && (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
          if (d < 0) break;
          code = code * (hex ? 16 : 10) + d;
        }
        out += code > 0 && code < 0x80 ? static_cast<char>(code) : '?';
      } else {
        out.append(raw.substr(i, semi - i + 1));
      }
      i = semi;
    }
  }

  std::unique_ptr<XmlElement> element(int depth) {
    if (depth > kMaxDepth) fail("elements nested deeper than " + std::to_string(kMaxDepth));
    auto el = std::make_unique<XmlElement>();
    el->line = line_at(pos_);
    ++pos_;  // '<'
    el->name = name();
    while (true) {
      spaces();
      if (pos_ >= t_.size()) fail("unterminated start tag <" + el->name + ">");
      if (at("/>")) {
        pos_ += 2;
        return el;
      }
      if (t_[pos_] == '>') {
        ++pos_;
        break;
      }
      const std::string key = name();
      spaces();
      if (pos_ >= t_.size() || t_[pos_] != '=') fail("attribute '" + key + "' without a value");
      ++pos_;
      spaces();
      if (pos_ >= t_.size() || (t_[pos_] != '"' && t_[pos_] != '\'')) fail("attribute value not quoted");
      const char q = t_[pos_++];
      const auto e = t_.find(q, pos_);
      if (e == std::string_view::npos) fail("unterminated attribute value");
      std::string value;
      decode_into(t_.substr(pos_, e - pos_), value);
      el->attributes[key] = std::move(value);
      pos_ = e + 1;
    }
    // Content.
    while (true) {
      if (pos_ >= t_.size()) fail("element <" + el->name + "> is not closed (truncated file?)");
      if (t_[pos_] != '<') {
        const auto e = t_.find('<', pos_);
        const std::size_t end = e == std::string_view::npos ? t_.size() : e;
        decode_into(t_.substr(pos_, end - pos_), el->text);
        pos_ = end;
      } else if (at("</")) {
        pos_ += 2;
        const std::string closing = name();
        if (closing != el->name) fail("</" + closing + "> closes <" + el->name + ">");
        spaces();
        if (pos_ >= t_.size() || t_[pos_] != '>') fail("malformed end tag");
        ++pos_;
        return el;
      } else if (at("<!--")) {
        skip_until("-->", "comment");
      } else if (at("<![CDATA[")) {
        const std::size_t b = pos_ + 9;
        skip_until("]]>", "CDATA section");
        el->text.append(t_.substr(b, pos_ - 3 - b));
      } else if (at("<?")) {
        skip_until("?>", "processing instruction");
      } else {
        el->children.push_back(element(depth + 1));
      }
    }
  }

  std::string_view t_;
  const std::string& path_;
  std::size_t pos_ = 0;
  mutable std::size_t counted_ = 0;
  mutable int counted_line_ = 0;
};

}  // namespace

std::unique_ptr<XmlElement> parse_xml(std::string_view text, const std::string& path) {
  return Parser(text, path).run();
}

}  // namespace pxrd::formats::detail
