import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AUTH, type MeDto, type SessionDto, type TokenDto } from '@holdout/contracts';
import type { CookieOptions, Request, Response } from 'express';
import { APP_CONFIG, type AppConfig, type User } from '@holdout/db';
import { RATE_RULES, RateLimiter } from '../../common/rate-limit.js';
import { CoursesService } from '../courses/courses.service.js';
import { AuthService } from './auth.service.js';
import { PasswordResets } from './password-reset.service.js';
import { CurrentUser, Public, type Principal } from './principal.js';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly resets: PasswordResets,
    private readonly courses: CoursesService,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @Post('auth/register')
  async register(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionDto> {
    await this.limiter.take(RATE_RULES.signUps(this.config), req.ip ?? 'unknown');
    const user = await this.auth.register(body);
    // An address an instructor put on a course roster joins that course now.
    await this.courses.joinFromRoster(user);
    return this.startSession(user, res);
  }

  @Public()
  @Post('auth/login')
  @HttpCode(200)
  async login(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionDto> {
    const user = await this.auth.verifyPassword(body, req.ip ?? 'unknown');
    return this.startSession(user, res);
  }

  /** `{email}`: mails a password-reset link if the account exists; the answer is the same either way. */
  @Public()
  @Post('auth/password-reset')
  @HttpCode(202)
  async requestPasswordReset(@Body() body: unknown, @Req() req: Request): Promise<{ message: string }> {
    await this.resets.request(body, req.ip ?? 'unknown');
    return { message: 'If an account has this email, a link to choose a new password is on its way; it works for an hour.' };
  }

  /** `{token, password}`: the link's token and the new password; signs the account out everywhere. */
  @Public()
  @Post('auth/password-reset/confirm')
  @HttpCode(200)
  async confirmPasswordReset(@Body() body: unknown): Promise<{ message: string }> {
    await this.resets.confirm(body);
    return { message: 'Your password is changed; sign in with it.' };
  }

  @Post('auth/logout')
  @HttpCode(204)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const token = (req.cookies as Record<string, string> | undefined)?.[AUTH.sessionCookie];
    if (token) await this.auth.endSession(token);
    res.clearCookie(AUTH.sessionCookie, { path: '/' });
    res.clearCookie(AUTH.csrfCookie, { path: '/' });
  }

  @Get('me')
  async me(@CurrentUser() p: Principal): Promise<MeDto> {
    return { id: p.userId, email: p.email, displayName: p.displayName, isAdmin: p.isAdmin, courses: await this.courses.mine(p.userId), canCreateCourses: await this.courses.mayCreateCourses(p) };
  }

  @Post('tokens')
  async createToken(@CurrentUser() p: Principal, @Body() body: unknown): Promise<TokenDto> {
    await this.limiter.take(RATE_RULES.tokens(this.config), p.userId);
    return this.auth.createToken(p.userId, body);
  }

  @Get('tokens')
  listTokens(@CurrentUser() p: Principal): Promise<TokenDto[]> {
    return this.auth.listTokens(p.userId);
  }

  @Delete('tokens/:id')
  @HttpCode(204)
  revokeToken(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.auth.revokeToken(p.userId, id);
  }

  private async startSession(user: User, res: Response): Promise<SessionDto> {
    const { token, expiresAt } = await this.auth.createSession(user.id);
    const csrfToken = this.auth.csrfFor(token);
    const base: CookieOptions = { path: '/', sameSite: 'lax', secure: this.config.cookieSecure, expires: expiresAt };
    res.cookie(AUTH.sessionCookie, token, { ...base, httpOnly: true });
    res.cookie(AUTH.csrfCookie, csrfToken, { ...base, httpOnly: false });
    return {
      user: {
        id: user.id,
        email: user.email,
        displayName: user.displayName,
        isAdmin: user.isAdmin,
        courses: await this.courses.mine(user.id),
        canCreateCourses: await this.courses.mayCreateCourses({ userId: user.id, isAdmin: user.isAdmin }),
      },
      csrfToken,
    };
  }
}
