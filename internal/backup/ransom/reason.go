package ransom

import (
	"fmt"
	"strings"
)

// The reasons are built here, in English and Vietnamese, with the numbers
// of the signal. Keys are shown with a leading dot when they are
// extensions.

func reasonEncrypted(n int, ratio float64, sampled int, keys []string) Reason {
	return Reason{
		EN: fmt.Sprintf("%d changed files now look encrypted (high entropy, no known format) where their previous version was readable: %s of the %d files sampled; previously %s",
			n, pctEN(ratio), sampled, extsEN(keys)),
		VI: fmt.Sprintf("%d tệp thay đổi nay trông như đã bị mã hóa (entropy cao, không thuộc định dạng đã biết) trong khi phiên bản trước đọc được: %s trong %d tệp được lấy mẫu; trước đây là %s",
			n, pctVI(ratio), sampled, extsVI(keys)),
	}
}

func reasonEncryptedNew(n int, ratio float64, sampled int, keys []string) Reason {
	return Reason{
		EN: fmt.Sprintf("%d new or changed files look encrypted and have no readable previous version: %s of the %d files sampled (%s)",
			n, pctEN(ratio), sampled, extsEN(keys)),
		VI: fmt.Sprintf("%d tệp mới hoặc thay đổi trông như đã bị mã hóa và không có phiên bản trước đọc được: %s trong %d tệp được lấy mẫu (%s)",
			n, pctVI(ratio), sampled, extsVI(keys)),
	}
}

func reasonRenamed(n int, ratio float64, keys []string) Reason {
	return Reason{
		EN: fmt.Sprintf("%d files (%s of the previous snapshot) were renamed with a new extension (%s) and kept their size",
			n, pctEN(ratio), extsEN(keys)),
		VI: fmt.Sprintf("%d tệp (%s bản sao lưu trước) bị đổi tên sang phần mở rộng mới (%s) mà vẫn giữ nguyên kích thước",
			n, pctVI(ratio), extsVI(keys)),
	}
}

func reasonNewExtension(n int, ratio float64, keys []string) Reason {
	return Reason{
		EN: fmt.Sprintf("%d new files (%s of the snapshot) carry extensions never seen before on this system: %s",
			n, pctEN(ratio), extsEN(keys)),
		VI: fmt.Sprintf("%d tệp mới (%s bản sao lưu) mang phần mở rộng chưa từng có trên hệ thống này: %s",
			n, pctVI(ratio), extsVI(keys)),
	}
}

func reasonKnownExtension(n int, keys []string) Reason {
	return Reason{
		EN: fmt.Sprintf("%d new files carry an extension used by ransomware: %s", n, extsEN(keys)),
		VI: fmt.Sprintf("%d tệp mới mang phần mở rộng mà mã độc tống tiền sử dụng: %s", n, extsVI(keys)),
	}
}

func reasonRansomNote(n, dirs int, keys []string) Reason {
	names := strings.Join(keys, ", ")
	return Reason{
		EN: fmt.Sprintf("%d files named like ransom notes appeared in %d folders: %s", n, dirs, names),
		VI: fmt.Sprintf("%d tệp có tên giống thư đòi tiền chuộc xuất hiện trong %d thư mục: %s", n, dirs, names),
	}
}

func reasonDeleted(n int, ratio float64, keys []string) Reason {
	return Reason{
		EN: fmt.Sprintf("%d files (%s of the previous snapshot) were deleted, mostly %s; a deletion is not encryption, but check who did it",
			n, pctEN(ratio), extsEN(keys)),
		VI: fmt.Sprintf("%d tệp (%s bản sao lưu trước) đã bị xóa, chủ yếu là %s; xóa không phải là mã hóa, nhưng cần kiểm tra ai đã xóa",
			n, pctVI(ratio), extsVI(keys)),
	}
}

func reasonSizeDrop(drop float64, before, after int64) Reason {
	return Reason{
		Code: CodeSizeDrop,
		EN:   fmt.Sprintf("the total size fell by %s, from %s to %s", pctEN(drop), bytesEN(before), bytesEN(after)),
		VI:   fmt.Sprintf("tổng dung lượng giảm %s, từ %s xuống %s", pctVI(drop), bytesVI(before), bytesVI(after)),
	}
}

// exts formats extension keys as ".docx, .xlsx"; none stands for files
// without an extension.
func exts(keys []string, none string) string {
	if len(keys) == 0 {
		return "-"
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		if k == "" {
			parts[i] = none
		} else {
			parts[i] = "." + k
		}
	}
	return strings.Join(parts, ", ")
}

func extsEN(keys []string) string { return exts(keys, "no extension") }

func extsVI(keys []string) string { return exts(keys, "không có phần mở rộng") }

// pctEN formats a ratio as a percentage: whole numbers from 10 %, one
// decimal below, so that 0.4 % is not shown as 0 %.
func pctEN(r float64) string {
	if r*100 >= 10 {
		return fmt.Sprintf("%.0f%%", r*100)
	}
	return fmt.Sprintf("%.1f%%", r*100)
}

// pctVI is pctEN with the Vietnamese decimal comma.
func pctVI(r float64) string {
	return strings.Replace(pctEN(r), ".", ",", 1)
}

func bytesEN(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}

func bytesVI(n int64) string {
	return strings.Replace(bytesEN(n), ".", ",", 1)
}
