package directory

import (
	"context"
	"fmt"

	"github.com/olflow/olflow/seal"
)

const integrationCols = `id, subdomain, region, client_id, client_secret, scope_level, status, status_message,
	created_at, updated_at, last_full_sync_at, last_incremental_sync_at, users_watermark`

func scanIntegration(r row) (Integration, error) {
	var in Integration
	var secret string
	err := r.Scan(&in.ID, &in.Subdomain, &in.Region, &in.ClientID, &secret, &in.ScopeLevel, &in.Status,
		&in.StatusMessage, scanTime(&in.CreatedAt), scanTime(&in.UpdatedAt), scanTime(&in.LastFullSyncAt),
		scanTime(&in.LastIncrementalSyncAt), scanTime(&in.UsersWatermark))
	if err != nil {
		return Integration{}, err
	}
	if in.ClientSecret, err = seal.ParseSealed(secret); err != nil {
		return Integration{}, fmt.Errorf("directory: integration %q: stored client secret: %w", in.ID, err)
	}
	return in, nil
}

func validateIntegration(in Integration) error {
	switch {
	case in.ID == "" || len(in.ID) > 200:
		return invalid("integration id must be 1 to 200 bytes")
	case in.Region != "" && in.Region != "us" && in.Region != "eu":
		// The region is optional: current OneLogin hosts are per subdomain.
		return invalid("region must be empty, us or eu")
	case !in.Status.Valid():
		return invalid("integration status %q", in.Status)
	case !in.ScopeLevel.Valid():
		return invalid("scope level %q", in.ScopeLevel)
	}
	return nil
}

func (s *sqlStore) PutIntegration(ctx context.Context, in Integration) error {
	if err := validateIntegration(in); err != nil {
		return err
	}
	now := s.timeArg(s.clock())
	_, err := s.db.exec(ctx, `INSERT INTO integrations
		(id, subdomain, region, client_id, client_secret, scope_level, status, status_message, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
		ON CONFLICT (id) DO UPDATE SET subdomain = excluded.subdomain, region = excluded.region,
			client_id = excluded.client_id, client_secret = excluded.client_secret,
			scope_level = excluded.scope_level, status = excluded.status,
			status_message = excluded.status_message, updated_at = excluded.updated_at`,
		in.ID, in.Subdomain, in.Region, in.ClientID, in.ClientSecret.String(), string(in.ScopeLevel),
		string(in.Status), in.StatusMessage, now)
	if err != nil {
		return fmt.Errorf("directory: put integration: %w", err)
	}
	return nil
}

func (s *sqlStore) GetIntegration(ctx context.Context, id string) (Integration, error) {
	in, err := scanIntegration(s.db.queryRow(ctx, `SELECT `+integrationCols+` FROM integrations WHERE id = $1`, id))
	if err != nil {
		return Integration{}, notFound(err, "integration %q", id)
	}
	return in, nil
}

func (s *sqlStore) ListIntegrations(ctx context.Context) ([]Integration, error) {
	rs, err := s.db.query(ctx, `SELECT `+integrationCols+` FROM integrations ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []Integration
	for rs.Next() {
		in, err := scanIntegration(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rs.Err()
}

func (s *sqlStore) SetIntegrationStatus(ctx context.Context, id string, status IntegrationStatus, message string) error {
	if !status.Valid() {
		return invalid("integration status %q", status)
	}
	n, err := s.db.exec(ctx, `UPDATE integrations SET status = $1, status_message = $2, updated_at = $3 WHERE id = $4`,
		string(status), message, s.timeArg(s.clock()), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: integration %q", ErrNotFound, id)
	}
	return nil
}

func (s *sqlStore) IntegrationStatus(ctx context.Context, id string) (StatusSummary, error) {
	in, err := s.GetIntegration(ctx, id)
	if err != nil {
		return StatusSummary{}, err
	}
	sum := StatusSummary{Integration: in}
	last, err := s.loadRuns(ctx, s.db, `integration_id = $1`, 1, id)
	if err != nil {
		return StatusSummary{}, err
	}
	ok, err := s.loadRuns(ctx, s.db, `integration_id = $1 AND status = $2`, 1, id, string(RunCompleted))
	if err != nil {
		return StatusSummary{}, err
	}
	if len(last) > 0 {
		sum.LastRun = &last[0]
	}
	if len(ok) > 0 {
		sum.LastCompleted = &ok[0]
	}
	err = s.db.queryRow(ctx, `SELECT
		(SELECT count(*) FROM users WHERE integration_id = $1 AND deleted_at IS NULL),
		(SELECT count(*) FROM groups WHERE integration_id = $1 AND deleted_at IS NULL),
		(SELECT count(*) FROM roles WHERE integration_id = $1 AND deleted_at IS NULL),
		(SELECT count(*) FROM apps WHERE integration_id = $1 AND deleted_at IS NULL)`, id).
		Scan(&sum.Users, &sum.Groups, &sum.Roles, &sum.Apps)
	return sum, err
}
