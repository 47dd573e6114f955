// GSAS powder data (own reader: xylib has none). Layout from the GSAS manual (Larson & Von Dreele,
// LAUR 86-748, "Powder data files"): a title line, optional comment lines, then
//   BANK ibank nchan nrec CONST|CONS bcoef1 bcoef2 bcoef3 bcoef4 [STD|ESD|ALT|FXYE]
// For constant-wavelength data bcoef1 = start and bcoef2 = step, both in centidegrees 2θ.
//   STD:  10 fields of (I2 count, F6.0 intensity) per 80-column record (count blank = 1)
//   ESD:  5 pairs of (F8.0 intensity, F8.0 esd) per record
//   ALT:  4 triplets of (F8.0 x in centidegrees, F7.4 intensity, F5.4 esd) per record
//   FXYE: free-format "x y esd" lines, x in centidegrees
// Only the first bank is read (the number of banks is kept in metadata). Time-of-flight banks are refused.
#include <cmath>

#include "builtin.hpp"
#include "util.hpp"

namespace pxrd::formats::detail {
namespace {

// A Fortran Fw.d field: without a decimal point the last d digits are decimals. Blank = 0.
bool fortran_field(std::string_view rec, std::size_t start, std::size_t width, int decimals, double& v) {
  if (start >= rec.size()) {
    v = 0;
    return true;
  }
  const std::string f = trim(rec.substr(start, width));
  if (f.empty()) {
    v = 0;
    return true;
  }
  if (!parse_number(f, v)) return false;
  if (f.find('.') == std::string::npos && f.find_first_of("eE") == std::string::npos) v /= std::pow(10.0, decimals);
  return true;
}

struct Bank {
  int line = 0;
  std::size_t nchan = 0;
  double start_cdeg = 0, step_cdeg = 0;
  std::string type = "std";
};

bool parse_bank(std::string_view line, int line_no, const std::string& path, Bank& b) {
  const auto f = split_fields(line);
  if (f.empty() || to_lower(f[0]) != "bank") return false;
  if (f.size() < 5) throw InputError(path, line_no, "GSAS: BANK line needs ibank nchan nrec bintyp");
  b.line = line_no;
  const double nchan = number_or_throw(f[2], path, line_no, "GSAS nchan");
  if (!(nchan >= 1 && nchan <= static_cast<double>(kMaxPoints)))
    throw InputError(path, line_no, "GSAS: implausible point count " + std::string(f[2]));
  b.nchan = static_cast<std::size_t>(nchan);
  const std::string bintyp = to_lower(f[4]);
  if (bintyp != "const" && bintyp != "cons")
    throw InputError(path, line_no, "GSAS: binning '" + std::string(f[4]) + "' (time of flight?) is not supported");
  if (f.size() < 7) throw InputError(path, line_no, "GSAS: CONST bank without start and step");
  b.start_cdeg = number_or_throw(f[5], path, line_no, "GSAS start");
  b.step_cdeg = number_or_throw(f[6], path, line_no, "GSAS step");
  const std::string last = to_lower(f.back());
  if (last == "std" || last == "esd" || last == "alt" || last == "fxye") b.type = to_lower(last);
  if (b.type != "fxye" && b.type != "alt" && !(b.step_cdeg > 0))
    throw InputError(path, line_no, "GSAS: step must be positive");
  return true;
}

class GsasReader : public Reader {
 public:
  explicit GsasReader(bool fxye) : fxye_(fxye) {}
  std::string id() const override { return fxye_ ? "gsas_fxye" : "gsas"; }
  std::string description() const override {
    return fxye_ ? "GSAS FXYE (x in centidegrees, intensity, esd)" : "GSAS standard powder data: STD, ESD, ALT";
  }
  std::vector<std::string> extensions() const override {
    if (fxye_) return {"fxye"};
    return {"gsa", "gss", "gsas", "raw", "xra", "cwn", "dat", "std", "esd"};
  }
  int sniff(std::string_view head, std::string_view) const override {
    if (head.find('\0') != std::string_view::npos) return kSniffNo;
    LineReader lines(head);
    std::string_view line;
    while (lines.next(line) && lines.line_number() < 60) {
      const auto f = split_fields(line);
      if (f.size() >= 5 && to_lower(f[0]) == "bank") {
        const bool is_fxye = to_lower(f.back()) == "fxye";
        return is_fxye == fxye_ ? 90 : kSniffNo;
      }
    }
    return kSniffNo;
  }

  Pattern read(const std::string& content, const std::string& path) const override {
    LineReader lines(content);
    std::string_view line;
    Bank bank;
    bool found = false;
    Pattern p;
    while (lines.next(line)) {
      if (parse_bank(line, lines.line_number(), path, bank)) {
        found = true;
        break;
      }
      const std::string t = trim(line);
      if (lines.line_number() == 1 && !t.empty()) p.metadata["title"] = t;
      // 11-BM FXYE files state "# Calibrated wavelength = 0.413529"; GSAS keeps λ in the .prm file otherwise.
      if (icontains(t, "wavelength")) {
        const auto eq = t.find_first_of("=:");
        double v;
        if (eq != std::string::npos && parse_number(first_token(std::string_view(t).substr(eq + 1)), v))
          set_radiation(p, v);
      }
      if (!t.empty()) p.skipped_lines.push_back(lines.line_number());
    }
    if (!found) throw InputError(path, 0, "GSAS: no BANK line");
    p.metadata["bank_type"] = bank.type;
    p.x.reserve(bank.nchan);
    p.y.reserve(bank.nchan);
    if (bank.type == "fxye") {
      read_fxye(lines, bank, path, p);
    } else {
      read_records(lines, bank, path, p);
    }
    // Further banks: counted, not read.
    int banks = 1;
    while (lines.next(line))
      if (istarts_with(trim(line), "BANK")) ++banks;
    note_first_only(p, "banks", "first_bank_only", banks);
    if (bank.step_cdeg > 0) p.metadata["step"] = std::to_string(bank.step_cdeg / 100.0);
    return p;
  }

 private:
  static void read_fxye(LineReader& lines, const Bank& bank, const std::string& path, Pattern& p) {
    std::string_view line;
    while (p.x.size() < bank.nchan && lines.next(line)) {
      const auto f = split_fields(line);
      if (f.empty()) continue;
      if (f.size() < 2) throw InputError(path, lines.line_number(), "FXYE: expected x y [esd]");
      p.x.push_back(number_or_throw(f[0], path, lines.line_number(), "x") / 100.0);
      p.y.push_back(number_or_throw(f[1], path, lines.line_number(), "intensity"));
      if (f.size() >= 3) p.esd.push_back(number_or_throw(f[2], path, lines.line_number(), "esd"));
    }
    finish(bank, path, p);
  }

  static void read_records(LineReader& lines, const Bank& bank, const std::string& path, Pattern& p) {
    std::string_view rec;
    std::vector<double> counters;
    while (p.y.size() < bank.nchan && lines.next(rec)) {
      if (trim(rec).empty()) continue;
      const int ln = lines.line_number();
      if (istarts_with(trim(rec), "BANK")) throw InputError(path, ln, "GSAS: next BANK before all points were read");
      double a, b, c;
      if (bank.type == "std") {
        for (std::size_t k = 0; k < 10 && p.y.size() < bank.nchan; ++k) {
          if (!fortran_field(rec, k * 8, 2, 0, a) || !fortran_field(rec, k * 8 + 2, 6, 0, b))
            throw InputError(path, ln, "GSAS STD: field " + std::to_string(k + 1) + " is not a number");
          p.y.push_back(b);
          counters.push_back(a < 1 ? 1 : a);
        }
      } else if (bank.type == "esd") {
        for (std::size_t k = 0; k < 5 && p.y.size() < bank.nchan; ++k) {
          if (!fortran_field(rec, k * 16, 8, 0, a) || !fortran_field(rec, k * 16 + 8, 8, 0, b))
            throw InputError(path, ln, "GSAS ESD: pair " + std::to_string(k + 1) + " is not a number");
          p.y.push_back(a);
          p.esd.push_back(b);
        }
      } else {  // alt
        for (std::size_t k = 0; k < 4 && p.y.size() < bank.nchan; ++k) {
          if (k * 20 >= rec.size()) break;
          if (!fortran_field(rec, k * 20, 8, 0, a) || !fortran_field(rec, k * 20 + 8, 7, 4, b) ||
              !fortran_field(rec, k * 20 + 15, 5, 4, c))
            throw InputError(path, ln, "GSAS ALT: triplet " + std::to_string(k + 1) + " is not a number");
          p.x.push_back(a / 100.0);
          p.y.push_back(b);
          p.esd.push_back(c);
        }
      }
    }
    if (bank.type == "std") {
      fill_linear_x(p, bank.start_cdeg / 100.0, bank.step_cdeg / 100.0, p.y.size());
      // Intensities summed over n counters: esd = sqrt(I / n) (only worth storing when some n > 1).
      bool multi = false;
      for (double n : counters) multi = multi || n > 1;
      if (multi)
        for (std::size_t i = 0; i < p.y.size(); ++i) p.esd.push_back(std::sqrt(std::max(p.y[i], 0.0) / counters[i]));
    } else if (bank.type == "esd") {
      fill_linear_x(p, bank.start_cdeg / 100.0, bank.step_cdeg / 100.0, p.y.size());
    }
    finish(bank, path, p);
  }

  static void finish(const Bank& bank, const std::string& path, Pattern& p) {
    if (p.y.size() < bank.nchan)
      throw InputError(path, 0, "GSAS: BANK line " + std::to_string(bank.line) + " announces " +
                                    std::to_string(bank.nchan) + " points, the file holds " +
                                    std::to_string(p.y.size()) + " (truncated?)");
    if (!p.esd.empty() && p.esd.size() != p.y.size()) p.esd.clear();  // esd missing on some FXYE lines
  }

  bool fxye_;
};

}  // namespace

void add_gsas_readers(PluginHost& host) {
  host.add_reader(std::make_unique<GsasReader>(false));
  host.add_reader(std::make_unique<GsasReader>(true));
}

}  // namespace pxrd::formats::detail
