package desk

import (
	"bufio"
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The staff file holds one line per staff member, "name:hash", the hash
// "pbkdf2-sha256$ITERATIONS$SALT$KEY" (base64, no padding). The operator
// manages it with `outreach staff add|remove`; the desk reads it again
// when it changes, so a member removed is logged out at the next request.

// hashIterations is PBKDF2-HMAC-SHA256's work factor (OWASP's 2023
// figure for this function).
const hashIterations = 600_000

var staffNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// CheckStaffName refuses a name that cannot be a staff member's login.
func CheckStaffName(name string) error {
	if !staffNameRe.MatchString(name) {
		return fmt.Errorf("staff name %q: use 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", name)
	}
	return nil
}

// HashPassword returns the staff file's form of password.
func HashPassword(password string) (string, error) {
	if len(password) < 10 {
		return "", errors.New("a staff password needs at least 10 characters")
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, password, salt, hashIterations, 32)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", hashIterations, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// checkPassword reports whether password matches hash.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 10_000 || iter > 10_000_000 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// ReadStaff reads the staff file: name → hash.
func ReadStaff(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		if !ok || CheckStaffName(name) != nil {
			return nil, fmt.Errorf("%s: line %d: want NAME:HASH", path, n)
		}
		out[name] = hash
	}
	return out, sc.Err()
}

// AddStaff adds name with password to the file, or changes its password.
func AddStaff(path, name, password string) error {
	if err := CheckStaffName(name); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	staff, err := ReadStaff(path)
	if err != nil {
		return err
	}
	staff[name] = hash
	return writeStaff(path, staff)
}

// RemoveStaff removes name from the file; false when it was not there.
func RemoveStaff(path, name string) (bool, error) {
	staff, err := ReadStaff(path)
	if err != nil {
		return false, err
	}
	if _, ok := staff[name]; !ok {
		return false, nil
	}
	delete(staff, name)
	return true, writeStaff(path, staff)
}

// writeStaff replaces the file atomically, readable by its owner only.
func writeStaff(path string, staff map[string]string) error {
	var b strings.Builder
	b.WriteString("# outreach staff: NAME:HASH, managed with `outreach staff add|remove`\n")
	for _, name := range sortedNames(staff) {
		fmt.Fprintf(&b, "%s:%s\n", name, staff[name])
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".staff-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func sortedNames(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
