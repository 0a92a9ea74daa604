package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every problem(...) call names a kind of api/problems.go, and sends it with
// the status problemKinds gives it: a kind means one status everywhere.
// Kinds converted from the deal rules and workbook errors (ProblemKind(x))
// are checked where they are mapped (fromDealError, the imports).
func TestProblemKindsOneStatus(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	// The table, as names: kind constant -> http.Status... name; kind value -> constant.
	statusOf, constOf := map[string]string{}, map[string]string{}
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		parsed = append(parsed, f)
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "ProblemKind" && len(n.Values) == 1 {
					if lit, ok := n.Values[0].(*ast.BasicLit); ok {
						v, _ := strconv.Unquote(lit.Value)
						constOf[v] = n.Names[0].Name
					}
				}
			case *ast.KeyValueExpr:
				k, kok := n.Key.(*ast.Ident)
				v, vok := n.Value.(*ast.SelectorExpr)
				if kok && vok && strings.HasPrefix(k.Name, "prob") {
					statusOf[k.Name] = v.Sel.Name
				}
			}
			return true
		})
	}
	require.Len(t, statusOf, len(constOf), "every kind has a status in problemKinds")
	calls := 0
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			if fn, ok := call.Fun.(*ast.Ident); !ok || fn.Name != "problem" {
				return true
			}
			calls++
			at := fset.Position(call.Pos()).String()
			var kind string
			switch k := call.Args[1].(type) {
			case *ast.Ident:
				kind = k.Name
			case *ast.BasicLit:
				v, _ := strconv.Unquote(k.Value)
				kind = constOf[v]
				require.NotEmpty(t, kind, "%s: kind %s is not in api/problems.go", at, k.Value)
			case *ast.CallExpr: // ProblemKind(de.Kind): mapped where it is converted
				return true
			default:
				t.Errorf("%s: the kind is not a constant of api/problems.go", at)
				return true
			}
			want, ok := statusOf[kind]
			require.True(t, ok, "%s: kind %s is not in problemKinds", at, kind)
			if st, ok := call.Args[0].(*ast.SelectorExpr); ok {
				require.Equal(t, want, st.Sel.Name, "%s: %s is sent as %s", at, kind, want)
			}
			return true
		})
	}
	require.Greater(t, calls, 100)
}
