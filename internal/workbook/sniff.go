package workbook

import (
	"archive/zip"
	"bytes"
	"fmt"
	"path"
	"strings"
	"unicode/utf16"
)

// Format is what a file really is, whatever its name says.
type Format string

const (
	XLSX Format = "xlsx" // Office Open XML workbook (.xlsx, .xlsm)
	CSV  Format = "csv"  // delimited text: comma, semicolon or tab
)

var (
	oleMagic  = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	zipMagics = [][]byte{[]byte("PK\x03\x04"), []byte("PK\x05\x06"), []byte("PK\x07\x08")}
)

// sniff decides the format from the bytes. Names are for messages only: people
// rename files, and systems export text with an .xls name.
func sniff(data []byte, name string) (Format, *FileError) {
	if len(bytes.TrimSpace(data)) == 0 {
		return "", fileErr(ErrEmpty, "%s is empty", "%s 是空文件", name)
	}
	switch {
	case bytes.HasPrefix(data, oleMagic):
		return "", sniffOLE(data, name)
	case hasAnyPrefix(data, zipMagics...):
		return XLSX, nil // checkZip looks inside
	case bytes.HasPrefix(data, []byte("%PDF")):
		return "", notSpreadsheet(name, "a PDF document", "PDF 文档")
	case hasAnyPrefix(data, []byte("\x89PNG"), []byte("\xFF\xD8\xFF"), []byte("GIF8")):
		return "", notSpreadsheet(name, "a picture", "图片")
	case bytes.HasPrefix(data, []byte("{\\rtf")):
		return "", notSpreadsheet(name, "a Rich Text document", "RTF 文档")
	case hasAnyPrefix(data, []byte("Rar!"), []byte("7z\xBC\xAF"), []byte("\x1F\x8B")):
		return "", fileErr(ErrNotSpreadsheet,
			"%s is a compressed archive, not a workbook: extract it and upload the .xlsx or .csv inside",
			"%s 是压缩包，不是表格：请解压后上传其中的 .xlsx 或 .csv 文件", name)
	case hasAnyPrefix(data, []byte("\xFF\xFE"), []byte("\xFE\xFF")):
		return CSV, nil // UTF-16 text, as Excel's "Unicode Text" saves it
	}
	head := data[:min(len(data), 64<<10)]
	if bytes.IndexByte(head, 0) >= 0 {
		return "", notSpreadsheet(name, "a binary file", "二进制文件")
	}
	start := strings.ToLower(string(bytes.TrimSpace(bytes.TrimPrefix(head[:min(len(head), 4096)], []byte("\xEF\xBB\xBF")))))
	switch {
	case strings.HasPrefix(start, "<!doctype html") || strings.HasPrefix(start, "<html") ||
		strings.HasPrefix(start, "<table") || (strings.HasPrefix(start, "<") && strings.Contains(start, "<html")):
		return "", fileErr(ErrUnsupported,
			"%s is a web page (HTML) saved with a spreadsheet name, as some systems export it: open it in Excel or WPS and save it as Excel Workbook (.xlsx), then upload that",
			"%s 实际是网页（HTML）格式，只是用了表格的文件名（有些系统这样导出）：请用 Excel 或 WPS 打开，另存为“Excel 工作簿 (.xlsx)”后再上传", name)
	case strings.HasPrefix(start, "<?xml") && strings.Contains(start, "urn:schemas-microsoft-com:office:spreadsheet"):
		return "", fileErr(ErrUnsupported,
			"%s is an Excel 2003 XML spreadsheet: open it in Excel or WPS and save it as Excel Workbook (.xlsx), then upload that",
			"%s 是 Excel 2003 XML 表格：请用 Excel 或 WPS 打开，另存为“Excel 工作簿 (.xlsx)”后再上传", name)
	case strings.HasPrefix(start, "<?xml") || strings.HasPrefix(start, "<"):
		return "", notSpreadsheet(name, "an XML or HTML document", "XML/HTML 文档")
	}
	return CSV, nil
}

// sniffOLE tells apart what lives in an OLE2 compound file: a legacy .xls, a
// password-protected .xlsx (encrypted inside OLE2), or an old Word document.
// Stream names are stored in UTF-16LE in the directory sectors.
func sniffOLE(data []byte, name string) *FileError {
	switch {
	case bytes.Contains(data, utf16le("EncryptedPackage")):
		return fileErr(ErrEncrypted,
			"%s is protected by a password: open it in Excel or WPS, remove the password (File → Info → Protect Workbook), save it and upload it again",
			"%s 设置了打开密码：请用 Excel 或 WPS 打开，取消密码保护（文件 → 信息 → 保护工作簿）后保存，再重新上传", name)
	case bytes.Contains(data, utf16le("WordDocument")):
		return notSpreadsheet(name, "a Word document", "Word 文档")
	case bytes.Contains(data, utf16le("PowerPoint Document")):
		return notSpreadsheet(name, "a PowerPoint presentation", "PowerPoint 演示文稿")
	}
	return fileErr(ErrLegacyXLS,
		"%s is an old-format Excel 97–2003 workbook (.xls), which l2c does not read: open it in Excel or WPS, choose Save As → Excel Workbook (.xlsx), and upload the .xlsx (or save it as CSV UTF-8)",
		"%s 是旧版 Excel 97–2003 工作簿（.xls），系统不支持：请用 Excel 或 WPS 打开，选择“另存为 → Excel 工作簿 (.xlsx)”后上传 .xlsx 文件（或另存为 CSV UTF-8）", name)
}

func notSpreadsheet(name, whatEN, whatZH string) *FileError {
	return &FileError{Kind: ErrNotSpreadsheet, Text: Text{
		EN: fmt.Sprintf("%s is %s, not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file; the template shows the columns", name, whatEN),
		ZH: fmt.Sprintf("%s 是%s，不是表格：请上传 Excel 工作簿（.xlsx）或 CSV 文件，列格式见导入模板", name, whatZH),
	}}
}

func hasAnyPrefix(data []byte, prefixes ...[]byte) bool {
	for _, p := range prefixes {
		if bytes.HasPrefix(data, p) {
			return true
		}
	}
	return false
}

func utf16le(s string) []byte {
	units := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// checkZip opens the zip directory (nothing is inflated) and checks that it is
// a workbook l2c reads and that the sizes it declares stay within lim.
func checkZip(data []byte, name string, lim Limits) (*zip.Reader, *FileError) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fileErr(ErrDamaged,
			"%s is damaged or incomplete (%v); the upload may have been cut off: open it in Excel or WPS, save it again and upload it again",
			"%s 已损坏或不完整（%v），可能是上传中断：请用 Excel 或 WPS 打开并重新保存后再上传", name, err)
	}
	has := map[string]bool{}
	var total uint64
	for _, f := range zr.File {
		n := normPart(f.Name)
		has[n] = true
		size := f.UncompressedSize64
		total += size
		if total > uint64(lim.MaxUnzippedBytes) || size > uint64(lim.MaxUnzippedBytes) {
			return nil, fileErr(ErrZipBomb,
				"%s would unpack to more than %s, which is more than any customer list needs; l2c stopped before unpacking it. If the file is genuine, split it into smaller files",
				"%s 解压后超过 %s，远超正常客户清单的大小，系统未解压即已停止。如确为正常文件，请拆分为多个较小的文件", name, humanBytes(lim.MaxUnzippedBytes))
		}
		limit := uint64(0)
		switch {
		case n == "xl/sharedstrings.xml":
			limit = uint64(lim.MaxSharedStringsBytes)
		case n == "xl/workbook.xml" || n == "xl/_rels/workbook.xml.rels" || n == "xl/styles.xml":
			limit = uint64(lim.MaxPartBytes)
		}
		if limit > 0 && size > limit {
			return nil, fileErr(ErrZipBomb,
				"%s has a part that is too large (%s unpacks to %s); a customer list does not need it: copy the data into a new workbook and upload that",
				"%s 含有过大的部件（%s 解压后 %s），客户清单不需要这些内容：请把数据复制到新的工作簿后再上传", name, f.Name, humanBytes(int64(size)))
		}
	}
	switch {
	case has["xl/workbook.xml"] && has["[content_types].xml"]:
		return zr, nil
	case has["xl/workbook.bin"]:
		return nil, fileErr(ErrUnsupported,
			"%s is an Excel binary workbook (.xlsb): open it in Excel and save it as Excel Workbook (.xlsx), then upload that",
			"%s 是 Excel 二进制工作簿（.xlsb）：请用 Excel 打开，另存为“Excel 工作簿 (.xlsx)”后再上传", name)
	case has["mimetype"] && has["content.xml"]:
		return nil, fileErr(ErrUnsupported,
			"%s is an OpenDocument file (.ods): open it in LibreOffice, WPS or Excel and save it as Excel Workbook (.xlsx), then upload that",
			"%s 是 OpenDocument 格式（.ods）：请用 WPS、LibreOffice 或 Excel 打开，另存为“Excel 工作簿 (.xlsx)”后再上传", name)
	case has["word/document.xml"]:
		return nil, notSpreadsheet(name, "a Word document", "Word 文档")
	case has["ppt/presentation.xml"]:
		return nil, notSpreadsheet(name, "a PowerPoint presentation", "PowerPoint 演示文稿")
	case has["[content_types].xml"] || len(zr.File) == 0:
		return nil, fileErr(ErrDamaged,
			"%s is damaged: it has no workbook inside. Open it in Excel or WPS, save it again and upload it again",
			"%s 已损坏：其中没有工作簿内容。请用 Excel 或 WPS 打开并重新保存后再上传", name)
	}
	return nil, fileErr(ErrNotSpreadsheet,
		"%s is a ZIP archive, not a workbook: extract it and upload the .xlsx or .csv inside",
		"%s 是 ZIP 压缩包，不是表格：请解压后上传其中的 .xlsx 或 .csv 文件", name)
}

// claimsWorkbook reports whether a file's name says it is an Excel workbook.
func claimsWorkbook(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".xlsx", ".xlsm", ".xls", ".xltx", ".et":
		return true
	}
	return false
}
